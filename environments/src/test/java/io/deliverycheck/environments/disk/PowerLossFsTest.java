package io.deliverycheck.environments.disk;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The power-loss file system loses exactly what was not made durable. Runs where FUSE can (Linux,
 * root, /dev/fuse); there, missing packages fail the test with the line that installs them.
 */
class PowerLossFsTest {

    @TempDir
    Path dir;
    private Path backing;
    private Path mnt;
    private PowerLossFs fs;

    @BeforeAll
    static void needsFuse() {
        String host = PowerLossFs.hostProblem();
        Assumptions.assumeTrue(host == null, host);
        String problem = PowerLossFs.problem();
        assertNull(problem, problem);
    }

    @BeforeEach
    void mount() throws IOException {
        backing = dir.resolve("backing");
        mnt = dir.resolve("mnt");
        Files.createDirectories(backing);
    }

    @AfterEach
    void unmount() {
        if (fs != null) {
            fs.close();
            assertFalse(PowerLossFs.isMounted(mnt), "unmounted by close");
        }
    }

    private void start() throws IOException {
        fs = PowerLossFs.mount(backing, mnt, dir.resolve("powerlossfs.log"));
    }

    @Test
    void dataWrittenButNotFsyncedIsGoneAndFsyncedDataStays() throws Exception {
        byte[] tenK = bytes(10_000, 1);
        Files.write(backing.resolve("over.dat"), bytes(9000, 2));
        Files.writeString(backing.resolve("append.log"), "one\n");
        Files.write(backing.resolve("shrink.dat"), tenK);
        Files.write(backing.resolve("shrink-synced.dat"), tenK);
        Files.write(backing.resolve("grow.dat"), bytes(100, 3));
        start();

        // overwrites in the middle of durable data, across page boundaries: reverted
        writeAt(mnt.resolve("over.dat"), 4000, bytes(3000, 9), false);
        // append, fsync, append again: the first append stays, the second goes
        writeAt(mnt.resolve("append.log"), 4, "two\n".getBytes(StandardCharsets.UTF_8), true);
        writeAt(mnt.resolve("append.log"), 8, "three\n".getBytes(StandardCharsets.UTF_8), false);
        // truncate: the cut bytes come back; truncate + fsync: they do not
        setLength(mnt.resolve("shrink.dat"), 100, false);
        writeAt(mnt.resolve("shrink.dat"), 5000, bytes(10, 4), false); // grows again with zeros in between
        setLength(mnt.resolve("shrink-synced.dat"), 5, true);
        // grow by truncate and write past the end with fdatasync: stays
        setLength(mnt.resolve("grow.dat"), 50_000, false);
        writeAt(mnt.resolve("grow.dat"), 60_000, bytes(10, 5), true);
        // an O_DSYNC write is durable when it returns
        try (FileChannel c = FileChannel.open(mnt.resolve("append.log"), StandardOpenOption.WRITE, StandardOpenOption.DSYNC)) {
            c.write(ByteBuffer.wrap("dsync\n".getBytes(StandardCharsets.UTF_8)), 8);
        }
        writeAt(mnt.resolve("append.log"), 14, "lost\n".getBytes(StandardCharsets.UTF_8), false);
        // a rewrite through O_TRUNC (Files.write): the old content comes back
        Files.writeString(mnt.resolve("over.dat"), "rewritten");

        PowerLossFs.Stats before = fs.stats();
        assertTrue(before.dirtyFiles() >= 3 && before.savedBytes() > 0, before.toString());
        PowerLossFs.Dropped dropped = fs.drop();
        assertTrue(dropped.revertedFiles() >= 3, dropped.toString());

        assertArrayEquals(bytes(9000, 2), Files.readAllBytes(mnt.resolve("over.dat")));
        assertEquals("one\ntwo\ndsync\n", Files.readString(mnt.resolve("append.log")));
        assertArrayEquals(tenK, Files.readAllBytes(mnt.resolve("shrink.dat")));
        assertArrayEquals(java.util.Arrays.copyOf(tenK, 5), Files.readAllBytes(mnt.resolve("shrink-synced.dat")));
        byte[] grown = Files.readAllBytes(mnt.resolve("grow.dat"));
        assertEquals(60_010, grown.length);
        assertArrayEquals(bytes(100, 3), java.util.Arrays.copyOf(grown, 100));
        assertArrayEquals(bytes(10, 5), java.util.Arrays.copyOfRange(grown, 60_000, 60_010));
        assertEquals(0, fs.stats().dirtyFiles());
    }

    @Test
    void directoryOperationsNeedAnFsyncOfTheirDirectory() throws Exception {
        Files.createDirectories(backing.resolve("sub"));
        Files.writeString(backing.resolve("keep.txt"), "keep");
        Files.writeString(backing.resolve("unlinked.txt"), "still here");
        Files.writeString(backing.resolve("moved.txt"), "moved");
        Files.writeString(backing.resolve("config.json"), "v1");
        Files.writeString(backing.resolve("config2.json"), "v1");
        start();

        // the atomic-replace idiom done right: write tmp, fsync it, rename over, fsync the directory
        createWith(mnt.resolve("config.json.tmp"), "v2", true);
        Files.move(mnt.resolve("config.json.tmp"), mnt.resolve("config.json"), StandardCopyOption.ATOMIC_MOVE);
        // a file created, written and fsynced in sub/, then sub/ fsynced: there, with its data
        createWith(mnt.resolve("sub/durable.txt"), "durable", true);
        // a file whose directory is fsynced but whose data is not: there, empty
        createWith(mnt.resolve("sub/empty.txt"), "never synced", false);
        fsyncDir(mnt.resolve("sub"));
        fsyncDir(mnt);

        // from here on no directory is fsynced again: every name change below is lost
        createWith(mnt.resolve("lost.txt"), "fsynced but its name is not", true);
        Files.delete(mnt.resolve("unlinked.txt"));
        Files.move(mnt.resolve("moved.txt"), mnt.resolve("sub/moved-here.txt"), StandardCopyOption.ATOMIC_MOVE);
        Files.createDirectories(mnt.resolve("newdir/deeper"));
        createWith(mnt.resolve("newdir/deeper/f.txt"), "f", true);
        createWith(mnt.resolve("config2.json.tmp"), "v2", true);
        Files.move(mnt.resolve("config2.json.tmp"), mnt.resolve("config2.json"), StandardCopyOption.ATOMIC_MOVE);
        Files.delete(mnt.resolve("sub/empty.txt"));
        Files.createSymbolicLink(mnt.resolve("link"), Path.of("keep.txt"));
        Files.createLink(mnt.resolve("hardlink.txt"), mnt.resolve("keep.txt"));
        assertEquals("keep", Files.readString(mnt.resolve("link")));

        assertEquals(11, fs.stats().unsyncedOps(), fs.stats().toString());
        fs.drop();

        Map<String, String> expected = new TreeMap<>(Map.of(
                "sub", "dir",
                "sub/durable.txt", describe("durable".getBytes(StandardCharsets.UTF_8)),
                "sub/empty.txt", describe(new byte[0]),
                "keep.txt", describe("keep".getBytes(StandardCharsets.UTF_8)),
                "unlinked.txt", describe("still here".getBytes(StandardCharsets.UTF_8)),
                "moved.txt", describe("moved".getBytes(StandardCharsets.UTF_8)),
                "config.json", describe("v2".getBytes(StandardCharsets.UTF_8)),
                "config2.json", describe("v1".getBytes(StandardCharsets.UTF_8))));
        assertEquals(expected, tree(mnt));
        assertEquals(expected, withoutGrave(tree(backing)), "the backing directory holds the durable state");
    }

    @Test
    void anFsyncOfADirectoryMakesEveryEarlierDirectoryOperationDurableAsAnOrderedLogDoes() throws Exception {
        Files.createDirectories(backing.resolve("a"));
        Files.createDirectories(backing.resolve("b"));
        start();
        createWith(mnt.resolve("a/early.txt"), "x", true);
        createWith(mnt.resolve("b/f.txt"), "y", true);
        createWith(mnt.resolve("a/late.txt"), "z", true);
        fsyncDir(mnt.resolve("b"));
        fs.drop();
        assertTrue(Files.exists(mnt.resolve("a/early.txt")), "before b's last change: durable");
        assertTrue(Files.exists(mnt.resolve("b/f.txt")));
        assertFalse(Files.exists(mnt.resolve("a/late.txt")), "after b's last change: lost");
    }

    @Test
    void anOpenFileSurvivesItsUnlinkAndADropBringsBackItsDurableContent() throws Exception {
        Files.writeString(backing.resolve("open.txt"), "durable");
        start();
        try (FileChannel c = FileChannel.open(mnt.resolve("open.txt"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            Files.delete(mnt.resolve("open.txt"));
            c.write(ByteBuffer.wrap("written after unlink".getBytes(StandardCharsets.UTF_8)), 0);
            ByteBuffer back = ByteBuffer.allocate(20);
            c.read(back, 0);
            assertEquals("written after unlink", new String(back.array(), StandardCharsets.UTF_8));
        }
        assertFalse(Files.exists(mnt.resolve("open.txt")));
        assertFalse(Files.list(mnt).anyMatch(p -> p.getFileName().toString().startsWith(".")), "the grave is hidden");
        fs.drop();
        assertEquals("durable", Files.readString(mnt.resolve("open.txt")));
    }

    @Test
    void syncAllMakesEverythingDurableAndUnmountKeepsWhatWasWritten() throws Exception {
        start();
        createWith(mnt.resolve("a.txt"), "synced by sync-all", false);
        fs.syncAll();
        createWith(mnt.resolve("b.txt"), "written, never synced", false);
        Files.createDirectories(mnt.resolve("d"));
        Files.delete(mnt.resolve("a.txt"));
        fs.close();
        assertFalse(PowerLossFs.isMounted(mnt));
        assertEquals(Map.of("b.txt", describe("written, never synced".getBytes(StandardCharsets.UTF_8)), "d", "dir"), tree(backing),
                "on unmount the backing directory holds the last state, and no grave is left");
        fs = null;
    }

    @Test
    void aFileCorruptedThroughTheMountStaysCorruptedAfterADrop() throws Exception {
        Files.write(backing.resolve("segment.log"), bytes(20_000, 8));
        start();
        FileCorruption.Corruption c = FileCorruption.plan(mnt,
                new FileCorruption.Target("segment.log", List.of(FileCorruption.Kind.BITFLIP), 3, 1), new Random(2));
        FileCorruption.apply(mnt, c);
        byte[] corrupted = Files.readAllBytes(mnt.resolve("segment.log"));
        fs.drop();
        assertArrayEquals(corrupted, Files.readAllBytes(mnt.resolve("segment.log")), "apply fsyncs: the damage is durable");
    }

    @Test
    void randomOperationsAgainstTheModel() throws Exception {
        start();
        for (long seed : new long[]{1, 2, 3, 4}) {
            randomRun(seed, 250);
        }
    }

    /** Random writes, truncates, creates, renames, removals, fsyncs and drops; after each drop the tree is the model's. */
    private void randomRun(long seed, int ops) throws Exception {
        System.out.println("power-loss model run, seed " + seed);
        fs.syncAll();
        clear(mnt);
        fs.syncAll();
        DurabilityModel m = new DurabilityModel();
        Random r = new Random(seed);
        List<String> dirNames = List.of("d1", "d2", "d3", "d1/e");
        for (int step = 0; step < ops; step++) {
            String what = "seed " + seed + " step " + step;
            int pick = r.nextInt(100);
            List<String> files = m.files();
            List<String> dirs = m.dirs();
            String someDir = dirs.get(r.nextInt(dirs.size()));
            String newFile = (someDir.isEmpty() ? "" : someDir + "/") + "f" + r.nextInt(4);
            if (pick < 25 || files.isEmpty()) {
                String f = files.isEmpty() || r.nextInt(3) == 0 ? newFile : files.get(r.nextInt(files.size()));
                if (m.exists(f) && m.isDir(f)) {
                    continue;
                }
                if (!m.exists(f)) {
                    Files.createFile(mnt.resolve(f));
                    m.create(f);
                }
                int size = m.at(f).data.length;
                long off = r.nextInt(size + 6000);
                byte[] data = bytes(1 + r.nextInt(9000), r.nextLong());
                writeAt(mnt.resolve(f), off, data, false);
                m.write(f, off, data);
            } else if (pick < 33) {
                String f = files.get(r.nextInt(files.size()));
                long size = r.nextInt(m.at(f).data.length + 5000);
                setLength(mnt.resolve(f), size, false);
                m.truncate(f, size);
            } else if (pick < 45) {
                String f = files.get(r.nextInt(files.size()));
                fsyncFile(mnt.resolve(f), r.nextBoolean());
                m.fsyncFile(f);
            } else if (pick < 55) {
                fsyncDir(mnt.resolve(someDir));
                m.fsyncDir(someDir);
            } else if (pick < 65) {
                String from = files.get(r.nextInt(files.size()));
                String to = newFile;
                if (m.isDir(to) || from.equals(to)) {
                    continue;
                }
                Files.move(mnt.resolve(from), mnt.resolve(to), StandardCopyOption.ATOMIC_MOVE);
                m.rename(from, to);
            } else if (pick < 72) {
                String f = files.get(r.nextInt(files.size()));
                Files.delete(mnt.resolve(f));
                m.remove(f);
            } else if (pick < 80) {
                String d = dirNames.get(r.nextInt(dirNames.size()));
                if (!m.exists(d) && m.isDir(DurabilityModel.parent(d))) {
                    Files.createDirectory(mnt.resolve(d));
                    m.mkdir(d);
                } else if (m.isEmptyDir(d)) {
                    Files.delete(mnt.resolve(d));
                    m.remove(d);
                }
            } else if (pick < 84) {
                if (m.isDir("d2") && !m.exists("d3")) {
                    Files.move(mnt.resolve("d2"), mnt.resolve("d3"), StandardCopyOption.ATOMIC_MOVE);
                    m.rename("d2", "d3");
                } else if (m.isDir("d3") && !m.exists("d2")) {
                    Files.move(mnt.resolve("d3"), mnt.resolve("d2"), StandardCopyOption.ATOMIC_MOVE);
                    m.rename("d3", "d2");
                }
            } else if (pick < 94) {
                fs.drop();
                m.drop();
                assertEquals(m.tree(), tree(mnt), "after a drop, " + what);
            } else {
                fs.syncAll();
                m.syncAll();
            }
            assertEquals(m.tree(), tree(mnt), "the mount shows the current state, " + what);
        }
        fs.drop();
        m.drop();
        assertEquals(m.tree(), tree(mnt), "after the final drop, seed " + seed);
    }

    // ---- helpers ----

    static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static void writeAt(Path f, long off, byte[] data, boolean fsync) throws IOException {
        try (FileChannel c = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.wrap(data);
            long pos = off;
            while (buf.hasRemaining()) {
                pos += c.write(buf, pos);
            }
            if (fsync) {
                c.force(false);
            }
        }
    }

    static void setLength(Path f, long size, boolean fsync) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(size);
            if (fsync) {
                raf.getFD().sync();
            }
        }
    }

    static void createWith(Path f, String text, boolean fsync) throws IOException {
        try (FileChannel c = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            c.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
            if (fsync) {
                c.force(true);
            }
        }
    }

    static void fsyncFile(Path f, boolean metadata) throws IOException {
        try (FileChannel c = FileChannel.open(f, StandardOpenOption.READ)) {
            c.force(metadata);
        }
    }

    /** fsync(2) of a directory: Java opens a directory for reading on Linux. */
    static void fsyncDir(Path d) throws IOException {
        try (FileChannel c = FileChannel.open(d, StandardOpenOption.READ)) {
            c.force(true);
        }
    }

    /** Every entry under {@code root}: "dir" or the file's size and hash. */
    static Map<String, String> tree(Path root) throws IOException {
        Map<String, String> t = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                if (p.equals(root)) {
                    continue;
                }
                String rel = root.relativize(p).toString();
                t.put(rel, Files.isDirectory(p) ? "dir" : describe(Files.readAllBytes(p)));
            }
        }
        return t;
    }

    private static Map<String, String> withoutGrave(Map<String, String> t) {
        Map<String, String> copy = new TreeMap<>(t);
        copy.keySet().removeIf(k -> k.equals(PowerLossFs.GRAVE) || k.startsWith(PowerLossFs.GRAVE + "/"));
        return copy;
    }

    static String describe(byte[] data) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(data);
            return data.length + " bytes " + HexFormat.of().formatHex(h, 0, 6);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void clear(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                if (!p.equals(root)) {
                    Files.delete(p);
                }
            }
        }
    }
}
