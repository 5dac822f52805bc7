package io.deliverycheck.environments.disk;

import java.nio.file.Path;

/**
 * A harness that mounts a power-loss file system, prints the program's PID and waits: the lifetime
 * test SIGKILLs it and checks that the file system does not outlive it.
 */
public final class PowerLossHarness {

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        PowerLossFs fs = PowerLossFs.mount(dir.resolve("backing"), dir.resolve("mnt"), dir.resolve("powerlossfs.log"));
        java.nio.file.Files.writeString(fs.mountpoint().resolve("unsynced.txt"), "written, never fsynced");
        System.out.println("FS " + fs.pid());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE); // until killed: that is the point of this program
    }
}
