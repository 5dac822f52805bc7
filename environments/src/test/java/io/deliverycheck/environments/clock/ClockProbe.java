package io.deliverycheck.environments.clock;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * A child JVM that prints its clocks: for each line "now" it answers "wall-ms nano-ns"; for
 * "sleep N" it sleeps N ms (by its own clock) and then answers the same.
 */
public final class ClockProbe {

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        System.out.println("ready");
        System.out.flush();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (line.startsWith("sleep ")) {
                Thread.sleep(Long.parseLong(line.substring(6).trim()));
            }
            System.out.println(System.currentTimeMillis() + " " + System.nanoTime());
            System.out.flush();
        }
    }
}
