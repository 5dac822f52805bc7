package io.deliverycheck.checker.history;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.file.Path;

/**
 * A harness that records {@code args[1]} ops on the history {@code args[0]} as fast as it can, says
 * so, and waits to be stopped: {@link RecorderAsyncTest} sends it SIGTERM and checks that every op
 * reached the file.
 */
public final class RecorderChild {

    public static void main(String[] args) throws Exception {
        Recorder rec = Recorder.open(Path.of(args[0]));
        int n = Integer.parseInt(args[1]);
        for (int i = 0; i < n; i++) {
            rec.ok("d:u1/phone", "receive", JsonNodeFactory.instance.objectNode().put("id", "m" + i)
                .put("recipient", "u1").put("device", "phone"), "n1");
        }
        System.out.println("RECORDED " + n + " BACKLOG " + rec.backlog());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE); // until stopped: that is the point of this program
    }
}
