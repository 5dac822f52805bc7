package io.deliverycheck.environments.disk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Corrupts one data file of a stopped node, as Jepsen's {@code corrupt-file} nemesis does: flips bits
 * in it, or cuts bytes off its end. {@link #plan} makes every choice (the file, the offsets and bits,
 * how much to cut) from a seeded {@link Random} and returns them as a {@link Corruption}, which is data
 * ({@link Corruption#toJson}): a fault plan stores it and {@link #apply} replays it with no randomness.
 *
 * <p>Call it only while nothing has the file open (kill the node first): a running process may have
 * the bytes cached or overwrite them. {@link #apply} writes in place and then fsyncs, so the damage is
 * durable even on the power-loss file system (a later drop does not undo it).
 */
public final class FileCorruption {

    /** Bit flips or truncation. */
    public enum Kind { BITFLIP, TRUNCATE }

    /** One flipped bit: byte {@code offset}, bit {@code bit} (0 = least significant). */
    public record Flip(long offset, int bit) {
        public Flip {
            if (offset < 0 || bit < 0 || bit > 7) {
                throw new IllegalArgumentException("a bit flip needs offset >= 0 and bit 0..7, not " + offset + "/" + bit);
            }
        }
    }

    /**
     * What to corrupt: files whose path relative to the data directory matches {@code glob} (Java glob
     * syntax, {@code **} crosses directories), with which kinds (drawn uniformly among them), how many
     * bits a flip changes, and at most how many bytes a truncation cuts (at least 1, at most the file).
     */
    public record Target(String glob, List<Kind> kinds, int bits, long maxCutBytes) {
        public Target {
            if (kinds.isEmpty() || bits < 1 || maxCutBytes < 1) {
                throw new IllegalArgumentException("a corruption target needs a kind, bits >= 1 and max cut >= 1");
            }
            kinds = List.copyOf(kinds);
        }

        /** Any file, either kind, 4 bits or up to 64 KiB cut. */
        public static Target any() {
            return new Target("**", List.of(Kind.BITFLIP, Kind.TRUNCATE), 4, 64 << 10);
        }
    }

    /**
     * One corruption, every choice made: the file (relative, '/'-separated), its length when planned,
     * and either the flips or the number of bytes cut off the end.
     */
    public record Corruption(String file, Kind kind, long length, List<Flip> flips, long cutBytes) {
        public Corruption {
            flips = List.copyOf(flips);
            if (file.isEmpty() || file.startsWith("/") || List.of(file.split("/")).contains("..")) {
                throw new IllegalArgumentException("a corrupted file must be a relative path inside the data directory, not '" + file + "'");
            }
        }

        /**
         * As a fault's detail: {@code {"file":"..","kind":"bitflip","length":N,"flips":[[offset,bit],..]}}
         * or {@code {"file":"..","kind":"truncate","length":N,"cut_bytes":M}}.
         */
        public ObjectNode toJson() {
            ObjectNode n = JsonNodeFactory.instance.objectNode();
            n.put("file", file);
            n.put("kind", kind.name().toLowerCase(java.util.Locale.ROOT));
            n.put("length", length);
            if (kind == Kind.BITFLIP) {
                ArrayNode a = n.putArray("flips");
                for (Flip f : flips) {
                    a.addArray().add(f.offset()).add(f.bit());
                }
            } else {
                n.put("cut_bytes", cutBytes);
            }
            return n;
        }

        /** The inverse of {@link #toJson}; a user error names the field at fault. */
        public static Corruption fromJson(JsonNode n) {
            String file = n.path("file").asText("");
            String kind = n.path("kind").asText("");
            long length = n.path("length").asLong(-1);
            switch (kind) {
                case "bitflip" -> {
                    if (!n.path("flips").isArray() || n.path("flips").isEmpty()) {
                        throw new IllegalArgumentException("corrupt-file bitflip needs flips: [[offset, bit], ...]");
                    }
                    List<Flip> flips = new ArrayList<>();
                    for (JsonNode f : n.path("flips")) {
                        if (!f.isArray() || f.size() != 2 || !f.get(0).canConvertToLong() || !f.get(1).canConvertToInt()) {
                            throw new IllegalArgumentException("corrupt-file flips must be [offset, bit] pairs, not " + f);
                        }
                        flips.add(new Flip(f.get(0).asLong(), f.get(1).asInt()));
                    }
                    return new Corruption(file, Kind.BITFLIP, length, flips, 0);
                }
                case "truncate" -> {
                    if (!n.path("cut_bytes").canConvertToLong() || n.path("cut_bytes").asLong() < 1) {
                        throw new IllegalArgumentException("corrupt-file truncate needs cut_bytes >= 1");
                    }
                    return new Corruption(file, Kind.TRUNCATE, length, List.of(), n.path("cut_bytes").asLong());
                }
                default -> throw new IllegalArgumentException("corrupt-file kind must be bitflip or truncate, not '" + kind + "'");
            }
        }
    }

    /** What {@link #apply} did: flips beyond the file's end (a replay on a shorter file) are skipped. */
    public record Applied(Path file, long lengthBefore, long lengthAfter, int flipsApplied, int flipsSkipped) {
    }

    private FileCorruption() {
    }

    /**
     * Chooses a non-empty regular file under {@code dataDir} matching the target (uniformly, among them
     * sorted by path), a kind, and the flips or the cut. Reads nothing but the file sizes.
     *
     * @throws IllegalArgumentException when no file matches (one line naming the directory and glob)
     */
    public static Corruption plan(Path dataDir, Target target, Random random) throws IOException {
        List<Candidate> files = candidates(dataDir, target.glob());
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no non-empty file to corrupt under " + dataDir + " matching '" + target.glob() + "'");
        }
        Candidate c = files.get(random.nextInt(files.size()));
        Kind kind = target.kinds().get(random.nextInt(target.kinds().size()));
        if (kind == Kind.TRUNCATE) {
            long cut = 1 + (long) (random.nextDouble() * Math.min(c.size, target.maxCutBytes()));
            return new Corruption(c.rel, kind, c.size, List.of(), Math.min(cut, c.size));
        }
        int bits = (int) Math.min(target.bits(), c.size * 8);
        TreeSet<Long> chosen = new TreeSet<>(); // distinct bits, so two flips never cancel out
        while (chosen.size() < bits) {
            chosen.add((long) (random.nextDouble() * c.size * 8));
        }
        List<Flip> flips = chosen.stream().map(b -> new Flip(b / 8, (int) (b % 8))).toList();
        return new Corruption(c.rel, kind, c.size, flips, 0);
    }

    /**
     * Applies the corruption to the file under {@code dataDir}, in place, then fsyncs it.
     *
     * @throws NoSuchFileException (naming the file) when it is not there
     */
    public static Applied apply(Path dataDir, Corruption c) throws IOException {
        Path file = dataDir.resolve(c.file());
        if (!file.normalize().startsWith(dataDir.normalize())) {
            throw new IllegalArgumentException("corrupt-file path " + c.file() + " leaves " + dataDir);
        }
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "the file to corrupt is not there");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long before = ch.size();
            int applied = 0;
            int skipped = 0;
            if (c.kind() == Kind.TRUNCATE) {
                ch.truncate(Math.max(0, before - c.cutBytes()));
            } else {
                ByteBuffer one = ByteBuffer.allocate(1);
                for (Flip f : c.flips()) {
                    if (f.offset() >= before) {
                        skipped++;
                        continue;
                    }
                    one.clear();
                    ch.read(one, f.offset());
                    one.put(0, (byte) (one.get(0) ^ (1 << f.bit())));
                    one.rewind();
                    ch.write(one, f.offset());
                    applied++;
                }
            }
            ch.force(true);
            return new Applied(file, before, ch.size(), applied, skipped);
        }
    }

    private record Candidate(String rel, long size) {
    }

    private static List<Candidate> candidates(Path dataDir, String glob) throws IOException {
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + glob);
        List<Candidate> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dataDir)) {
            for (Path p : s.sorted().toList()) {
                Path rel = dataDir.relativize(p);
                if (rel.toString().isEmpty() || rel.startsWith(PowerLossFs.GRAVE) || !Files.isRegularFile(p)) {
                    continue;
                }
                long size = Files.size(p);
                if (size > 0 && m.matches(rel)) {
                    out.add(new Candidate(rel.toString().replace(java.io.File.separatorChar, '/'), size));
                }
            }
        }
        return out;
    }
}
