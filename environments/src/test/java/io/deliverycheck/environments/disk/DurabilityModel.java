package io.deliverycheck.environments.disk;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The test oracle: what the power-loss file system promises, written forwards (replay the durable
 * prefix) where powerlossfs.c works backwards (undo the unsynced suffix). File data is durable as of
 * its last fsync; directory operations persist in order, and an fsync of a directory makes durable
 * every operation up to the last one that changed its entries.
 *
 * <p>Paths are relative ("a/b"), the root is "". The namespace is a flat map from path to inode.
 */
final class DurabilityModel {

    static final class Inode {
        final int id;
        final boolean dir;
        byte[] data = new byte[0];
        byte[] durable = new byte[0];

        Inode(int id, boolean dir) {
            this.id = id;
            this.dir = dir;
        }
    }

    /** A directory operation: what it does to a namespace, and which directories' entries it changes. */
    private record Op(String kind, String a, String b, Inode inode, List<Inode> dirs) {
    }

    private final Inode root = new Inode(0, true);
    private int nextId = 1;
    private Map<String, Inode> current = new HashMap<>();
    private Map<String, Inode> durable = new HashMap<>();
    private final List<Op> log = new ArrayList<>();

    DurabilityModel() {
        current.put("", root);
        durable.put("", root);
    }

    Inode at(String path) {
        return current.get(path);
    }

    boolean exists(String path) {
        return current.containsKey(path);
    }

    boolean isDir(String path) {
        Inode i = current.get(path);
        return i != null && i.dir;
    }

    boolean isEmptyDir(String path) {
        String prefix = path + "/";
        return isDir(path) && current.keySet().stream().noneMatch(p -> p.startsWith(prefix));
    }

    List<String> files() {
        return current.entrySet().stream().filter(e -> !e.getValue().dir).map(Map.Entry::getKey).sorted().toList();
    }

    List<String> dirs() {
        return current.entrySet().stream().filter(e -> e.getValue().dir).map(Map.Entry::getKey).sorted().toList();
    }

    static String parent(String path) {
        int i = path.lastIndexOf('/');
        return i < 0 ? "" : path.substring(0, i);
    }

    // ---- directory operations ----

    void create(String path) {
        Inode i = new Inode(nextId++, false);
        apply(current, new Op("create", path, null, i, List.of(current.get(parent(path)))));
    }

    void mkdir(String path) {
        Inode i = new Inode(nextId++, true);
        apply(current, new Op("create", path, null, i, List.of(current.get(parent(path)))));
    }

    void remove(String path) {
        apply(current, new Op("remove", path, null, null, List.of(current.get(parent(path)))));
    }

    void rename(String from, String to) {
        if (from.equals(to)) {
            return; // rename(2) of a path onto itself does nothing
        }
        apply(current, new Op("rename", from, to, null, List.of(current.get(parent(from)), current.get(parent(to)))));
    }

    private void apply(Map<String, Inode> ns, Op op) {
        if (ns == current) {
            log.add(op);
        }
        switch (op.kind) {
            case "create" -> ns.put(op.a, op.inode);
            case "remove" -> ns.remove(op.a);
            case "rename" -> {
                String from = op.a;
                String to = op.b;
                ns.remove(to);
                Map<String, Inode> moved = new HashMap<>();
                for (var it = ns.entrySet().iterator(); it.hasNext(); ) {
                    var e = it.next();
                    String p = e.getKey();
                    if (p.equals(from) || p.startsWith(from + "/")) {
                        moved.put(to + p.substring(from.length()), e.getValue());
                        it.remove();
                    }
                }
                ns.putAll(moved);
            }
            default -> throw new IllegalStateException(op.kind);
        }
    }

    // ---- data ----

    void write(String path, long off, byte[] bytes) {
        Inode i = current.get(path);
        int end = (int) off + bytes.length;
        if (end > i.data.length) {
            i.data = Arrays.copyOf(i.data, end);
        }
        System.arraycopy(bytes, 0, i.data, (int) off, bytes.length);
    }

    void truncate(String path, long size) {
        Inode i = current.get(path);
        i.data = Arrays.copyOf(i.data, (int) size);
    }

    // ---- durability ----

    void fsyncFile(String path) {
        Inode i = current.get(path);
        i.durable = i.data.clone();
    }

    void fsyncDir(String path) {
        Inode d = current.get(path);
        int last = -1;
        for (int k = 0; k < log.size(); k++) {
            if (log.get(k).dirs.contains(d)) {
                last = k;
            }
        }
        for (int k = 0; k <= last; k++) {
            apply(durable, log.get(k));
        }
        log.subList(0, last + 1).clear();
    }

    void syncAll() {
        for (Inode i : current.values()) {
            i.durable = i.data.clone();
        }
        durable = new HashMap<>(current);
        log.clear();
    }

    void drop() {
        current = new HashMap<>(durable);
        for (Inode i : current.values()) {
            i.data = i.durable.clone();
        }
        log.clear();
    }

    /** Path to "dir" or the file's content, as {@link PowerLossFsTest#tree} reads a directory. */
    Map<String, String> tree() {
        Map<String, String> t = new TreeMap<>();
        current.forEach((p, i) -> {
            if (!p.isEmpty()) {
                t.put(p, i.dir ? "dir" : PowerLossFsTest.describe(i.data));
            }
        });
        return t;
    }
}
