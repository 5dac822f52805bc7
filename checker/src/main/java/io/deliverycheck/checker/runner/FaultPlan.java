package io.deliverycheck.checker.runner;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;

/**
 * A seeded schedule of faults, generated up front so that a run can be replayed from its folder:
 * the runner saves it as {@code faults.json} ({@code {"seed":1,"faults":[..]}}, Contract 3) and a
 * replay loads it back with {@link #read}. Faults are sorted by {@code at_ms}.
 */
public record FaultPlan(@JsonProperty("seed") long seed, @JsonProperty("faults") List<Fault> faults) {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Copies the faults, sorted by start time. */
    public FaultPlan {
        faults = faults == null ? List.of()
                : faults.stream().sorted(Comparator.comparingLong(Fault::atMs)).toList();
    }

    /** A plan with no faults (the no-op nemesis). */
    public static FaultPlan empty(long seed) {
        return new FaultPlan(seed, List.of());
    }

    /** The plan as JSON text. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise fault plan", e);
        }
    }

    /** Parses a plan; the message of the exception says what is wrong. */
    public static FaultPlan fromJson(String json) throws IOException {
        return JSON.readValue(json, FaultPlan.class);
    }

    /** Writes the plan to {@code file} atomically (temp file, then move). */
    public void write(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            Files.writeString(tmp, toJson());
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Reads a plan saved by {@link #write}; a bad file gives an IOException naming the file and the problem. */
    public static FaultPlan read(Path file) throws IOException {
        try {
            return fromJson(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such fault plan", e);
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException(file + ": not a fault plan: " + e.getMessage(), e);
        }
    }
}
