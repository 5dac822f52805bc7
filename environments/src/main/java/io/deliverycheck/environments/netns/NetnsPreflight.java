package io.deliverycheck.environments.netns;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether the netns environment can run here: Linux, root, and the {@code ip}, {@code iptables} and
 * {@code tc} commands. {@link #problem()} says what is missing and how to install it, or null.
 */
public final class NetnsPreflight {

    private NetnsPreflight() {
    }

    /** Null when the netns environment can run; else one line saying what to do. */
    public static String problem() {
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            return "the netns environment needs Linux (network namespaces); use --env local";
        }
        if (!isRoot()) {
            return "the netns environment needs root (it creates network namespaces, veth links and iptables rules); "
                    + "run as root or use --env local";
        }
        List<String> missing = new ArrayList<>();
        for (String cmd : List.of("ip", "iptables", "tc")) {
            if (which(cmd) == null) {
                missing.add(cmd);
            }
        }
        if (!missing.isEmpty()) {
            return "the netns environment needs " + String.join(", ", missing) + " on PATH; install with: "
                    + "apt-get install -y iproute2 iptables (Debian/Ubuntu) or dnf install -y iproute iptables-nft";
        }
        return null;
    }

    static boolean isRoot() {
        try {
            Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor() == 0 && out.equals("0");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The executable {@code cmd} on PATH (or in /sbin, /usr/sbin, where root's tools live), else null. */
    static String which(String cmd) {
        String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/sbin" + File.pathSeparator + "/sbin";
        for (String dir : path.split(File.pathSeparator)) {
            File f = new File(dir, cmd);
            if (!dir.isEmpty() && f.isFile() && f.canExecute()) {
                return f.getAbsolutePath();
            }
        }
        return null;
    }
}
