package io.deliverycheck.environments.disk;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FileCorruptionTest {

    @TempDir
    Path dir;
    private Path data;

    @BeforeEach
    void files() throws Exception {
        data = dir.resolve("n1");
        Files.createDirectories(data.resolve("wal"));
        Files.write(data.resolve("wal/0001.log"), PowerLossFsTest.bytes(50_000, 1));
        Files.write(data.resolve("wal/0002.log"), PowerLossFsTest.bytes(70_000, 2));
        Files.write(data.resolve("meta.json"), PowerLossFsTest.bytes(300, 3));
        Files.write(data.resolve("empty"), new byte[0]);
    }

    @Test
    void theSameSeedPlansTheSameCorruptionAndOtherSeedsSpreadOverTheMatchingFiles() throws Exception {
        FileCorruption.Target target = FileCorruption.Target.any();
        assertEquals(FileCorruption.plan(data, target, new Random(7)), FileCorruption.plan(data, target, new Random(7)));
        Set<String> files = new HashSet<>();
        Set<FileCorruption.Kind> kinds = new HashSet<>();
        for (long seed = 0; seed < 60; seed++) {
            FileCorruption.Corruption c = FileCorruption.plan(data, target, new Random(seed));
            files.add(c.file());
            kinds.add(c.kind());
        }
        assertEquals(Set.of("wal/0001.log", "wal/0002.log", "meta.json"), files, "every non-empty file, never the empty one");
        assertEquals(Set.of(FileCorruption.Kind.values()), kinds);
        FileCorruption.Target wal = new FileCorruption.Target("wal/*.log", List.of(FileCorruption.Kind.BITFLIP), 3, 1);
        for (long seed = 0; seed < 20; seed++) {
            assertTrue(FileCorruption.plan(data, wal, new Random(seed)).file().startsWith("wal/"));
        }
    }

    @Test
    void aBitflipChangesExactlyThePlannedBits() throws Exception {
        FileCorruption.Target t = new FileCorruption.Target("wal/0002.log", List.of(FileCorruption.Kind.BITFLIP), 5, 1);
        FileCorruption.Corruption c = FileCorruption.plan(data, t, new Random(11));
        assertEquals(5, c.flips().size());
        byte[] before = Files.readAllBytes(data.resolve("wal/0002.log"));
        FileCorruption.Applied a = FileCorruption.apply(data, c);
        assertEquals(5, a.flipsApplied());
        byte[] after = Files.readAllBytes(data.resolve("wal/0002.log"));
        assertEquals(before.length, after.length);
        byte[] expected = before.clone();
        for (FileCorruption.Flip f : c.flips()) {
            expected[(int) f.offset()] ^= (byte) (1 << f.bit());
        }
        assertArrayEquals(expected, after);
        int differing = 0;
        for (int i = 0; i < before.length; i++) {
            differing += Integer.bitCount((before[i] ^ after[i]) & 0xff);
        }
        assertEquals(5, differing, "five distinct bits, none flipped back");
    }

    @Test
    void aTruncationCutsThePlannedBytesOffTheEnd() throws Exception {
        FileCorruption.Target t = new FileCorruption.Target("wal/0001.log", List.of(FileCorruption.Kind.TRUNCATE), 1, 4096);
        FileCorruption.Corruption c = FileCorruption.plan(data, t, new Random(3));
        assertTrue(c.cutBytes() >= 1 && c.cutBytes() <= 4096, c.toString());
        byte[] before = Files.readAllBytes(data.resolve("wal/0001.log"));
        FileCorruption.Applied a = FileCorruption.apply(data, c);
        assertEquals(50_000 - c.cutBytes(), a.lengthAfter());
        assertArrayEquals(Arrays.copyOf(before, (int) a.lengthAfter()), Files.readAllBytes(data.resolve("wal/0001.log")));
    }

    @Test
    void aCorruptionIsDataThatReplaysToTheSameBytesOnACopy() throws Exception {
        Path copy = dir.resolve("copy");
        Files.createDirectories(copy.resolve("wal"));
        for (String f : List.of("wal/0001.log", "wal/0002.log", "meta.json")) {
            Files.copy(data.resolve(f), copy.resolve(f));
        }
        for (long seed = 0; seed < 10; seed++) {
            FileCorruption.Corruption c = FileCorruption.plan(data, FileCorruption.Target.any(), new Random(seed));
            String json = new ObjectMapper().writeValueAsString(c.toJson());
            FileCorruption.Corruption back = FileCorruption.Corruption.fromJson(new ObjectMapper().readTree(json));
            assertEquals(c, back, json);
            FileCorruption.apply(data, c);
            FileCorruption.apply(copy, back);
            assertArrayEquals(Files.readAllBytes(data.resolve(c.file())), Files.readAllBytes(copy.resolve(c.file())));
        }
    }

    @Test
    void userErrorsAreOneLineNamingWhatIsWrong() throws Exception {
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> FileCorruption.plan(data, new FileCorruption.Target("*.sst", List.of(FileCorruption.Kind.BITFLIP), 1, 1), new Random(1)));
        assertEquals("no non-empty file to corrupt under " + data + " matching '*.sst'", none.getMessage());
        NoSuchFileException missing = assertThrows(NoSuchFileException.class,
                () -> FileCorruption.apply(data, new FileCorruption.Corruption("gone.log", FileCorruption.Kind.TRUNCATE, 10, List.of(), 1)));
        assertTrue(missing.getMessage().contains("gone.log"), missing.getMessage());
        IllegalArgumentException kind = assertThrows(IllegalArgumentException.class,
                () -> FileCorruption.Corruption.fromJson(new ObjectMapper().readTree("{\"file\":\"a\",\"kind\":\"shred\"}")));
        assertEquals("corrupt-file kind must be bitflip or truncate, not 'shred'", kind.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new FileCorruption.Corruption("../escape", FileCorruption.Kind.TRUNCATE, 1, List.of(), 1));
    }

    @Test
    void aReplayOnAShorterFileSkipsTheFlipsPastItsEnd() throws Exception {
        FileCorruption.Corruption c = new FileCorruption.Corruption("meta.json", FileCorruption.Kind.BITFLIP, 1000,
                List.of(new FileCorruption.Flip(10, 0), new FileCorruption.Flip(900, 1)), 0);
        byte[] before = Files.readAllBytes(data.resolve("meta.json"));
        FileCorruption.Applied a = FileCorruption.apply(data, c);
        assertEquals(1, a.flipsApplied());
        assertEquals(1, a.flipsSkipped());
        assertNotEquals(before[10], Files.readAllBytes(data.resolve("meta.json"))[10]);
    }
}
