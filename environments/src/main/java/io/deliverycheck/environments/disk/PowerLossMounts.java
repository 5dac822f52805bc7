package io.deliverycheck.environments.disk;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The power-loss file systems of an environment's members, one {@link PowerLossFs} each, laid out
 * alike in every environment: member {@code m}'s data on {@code <run>/power-loss/m/} over
 * {@code <run>/power-loss.backing/m/}, its program's log {@code <run>/logs/powerlossfs-m.log}.
 * What a {@code power-loss} fault needs from them: {@link #require} the members' mounts before
 * killing anything, kill the members, then {@link #drop} them all. Thread-safe.
 */
public final class PowerLossMounts implements AutoCloseable {

    private final String system;
    private final Map<String, PowerLossFs> mounts = new LinkedHashMap<>();
    private boolean closed;

    /** @param system the system's name, for messages ({@code kafka}, {@code nats}, ...) */
    public PowerLossMounts(String system) {
        this.system = system;
    }

    /**
     * Mounts {@code member}'s file system (see the class comment for where) and returns its mount
     * point, the member's data directory from now on.
     *
     * @throws IllegalStateException with {@link PowerLossFs#problem()} when it cannot run here, or
     *                               when these mounts are closed
     */
    public Path mount(String member, Path runDir, Path logDir) throws IOException {
        String problem = PowerLossFs.problem();
        if (problem != null) {
            throw new IllegalStateException("power-loss: " + problem);
        }
        PowerLossFs fs = PowerLossFs.mount(runDir.resolve("power-loss.backing").resolve(member),
                runDir.resolve("power-loss").resolve(member), logDir.resolve("powerlossfs-" + member + ".log"));
        synchronized (this) {
            if (closed) {
                fs.close();
                throw new IllegalStateException(system + " environment closed during setup");
            }
            mounts.put(member, fs);
        }
        return fs.mountpoint();
    }

    /** The mount point of {@code member}'s file system, or null when it has none. */
    public synchronized Path mountpoint(String member) {
        PowerLossFs fs = mounts.get(member);
        return fs == null ? null : fs.mountpoint();
    }

    public synchronized boolean isEmpty() {
        return mounts.isEmpty();
    }

    /** Makes everything written so far durable on every mount (a set-up that has been on disk a while). */
    public void syncAll() throws IOException {
        for (PowerLossFs fs : list()) {
            fs.syncAll();
        }
    }

    /**
     * The file systems of {@code members}, in order; throws naming the first member that has none
     * (call it before killing anything, so a bad fault changes nothing).
     */
    public synchronized List<PowerLossFs> require(List<String> members) {
        List<PowerLossFs> out = new ArrayList<>();
        for (String m : members) {
            PowerLossFs fs = mounts.get(m);
            if (fs == null) {
                throw new IllegalStateException("power-loss: " + system + " " + m + " is not on a power-loss file system"
                        + " (the run was not prepared for power-loss faults)");
            }
            out.add(fs);
        }
        return out;
    }

    /**
     * Drops every unsynced byte of {@code fss} (their members are down); returns what the drops took
     * back together, as the fault's start op records it:
     * {@code {"reverted_files":N,"restored_bytes":N,"undone_ops":N}}.
     */
    public static ObjectNode drop(List<PowerLossFs> fss) throws IOException {
        long files = 0;
        long bytes = 0;
        long ops = 0;
        for (PowerLossFs fs : fss) {
            PowerLossFs.Dropped d = fs.drop();
            files += d.revertedFiles();
            bytes += d.restoredBytes();
            ops += d.undoneOps();
        }
        return JsonNodeFactory.instance.objectNode().put("reverted_files", files).put("restored_bytes", bytes)
                .put("undone_ops", ops);
    }

    /** Unmounts every file system (what was written stays in the backing directories). Idempotent. */
    @Override
    public void close() {
        List<PowerLossFs> all;
        synchronized (this) {
            closed = true;
            all = List.copyOf(mounts.values());
        }
        all.forEach(PowerLossFs::close);
    }

    private synchronized List<PowerLossFs> list() {
        return List.copyOf(mounts.values());
    }
}
