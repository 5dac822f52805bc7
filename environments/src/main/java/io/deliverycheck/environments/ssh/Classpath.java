package io.deliverycheck.environments.ssh;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * What the harness uploads to run a node on a host: the entries of the nodes' class path (the
 * distribution jar, or in a build the module jars and class folders), with manifest-only jars
 * (Surefire's booter, IDE launchers) expanded into the entries their {@code Class-Path} names. A
 * class folder is packed into a jar first ({@link #asJar}).
 */
final class Classpath {

    private Classpath() {
    }

    /** The existing entries of {@code classpath}, expanded, without duplicates, in order. */
    static List<Path> entries(String classpath) {
        Set<Path> out = new LinkedHashSet<>();
        for (String e : classpath.split(File.pathSeparator)) {
            if (!e.isBlank()) {
                add(Path.of(e).toAbsolutePath().normalize(), out, 0);
            }
        }
        return new ArrayList<>(out);
    }

    private static void add(Path p, Set<Path> out, int depth) {
        if (!Files.exists(p) || out.contains(p)) {
            return;
        }
        if (Files.isRegularFile(p) && depth < 3) {
            List<Path> referenced = manifestClassPath(p);
            if (!referenced.isEmpty() && isManifestOnly(p)) {
                referenced.forEach(r -> add(r, out, depth + 1));
                return;
            }
        }
        out.add(p);
    }

    private static List<Path> manifestClassPath(Path jar) {
        List<Path> out = new ArrayList<>();
        try (JarFile jf = new JarFile(jar.toFile())) {
            Manifest m = jf.getManifest();
            String cp = m == null ? null : m.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
            if (cp == null) {
                return out;
            }
            for (String ref : cp.trim().split("\\s+")) {
                try {
                    URI u = jar.toUri().resolve(ref);
                    out.add(Path.of(u).toAbsolutePath().normalize());
                } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
                    // not a file: URL; nothing to upload
                }
            }
        } catch (IOException e) {
            // not a jar: upload it as it is
        }
        return out;
    }

    /** A jar whose only content is its manifest (and folders). */
    private static boolean isManifestOnly(Path jar) {
        try (JarFile jf = new JarFile(jar.toFile())) {
            return jf.stream().allMatch(e -> e.isDirectory() || e.getName().equalsIgnoreCase("META-INF/MANIFEST.MF"));
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code dir}'s files packed into the jar {@code target} (entries sorted, so equal folders give equal jars). */
    static void asJar(Path dir, Path target) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        try (OutputStream os = Files.newOutputStream(target); JarOutputStream jar = new JarOutputStream(os)) {
            for (Path f : files) {
                String name = dir.relativize(f).toString().replace(File.separatorChar, '/');
                JarEntry e = new JarEntry(name);
                e.setTime(0);
                jar.putNextEntry(e);
                Files.copy(f, jar);
                jar.closeEntry();
            }
        }
    }

    /** Whether a jar entry is one of zonky's PostgreSQL binary bundles ({@code postgres-linux-x86_64.txz}, ...). */
    static boolean isPostgresBundle(String entryName) {
        return entryName.startsWith("postgres-") && entryName.endsWith(".txz") && !entryName.contains("/");
    }

    /**
     * {@code jar} without PostgreSQL's native bundles, which a node started with {@code --pg-url}
     * never loads (they are most of the distribution jar's size: every platform's binaries): the jar
     * itself when it holds none, a filtered copy under {@code tmp} when it holds some and more, null
     * when it holds nothing else.
     */
    static Path withoutPostgresBundles(Path jar, Path tmp, String name) throws IOException {
        boolean bundles;
        boolean other;
        try (JarFile jf = new JarFile(jar.toFile())) {
            bundles = jf.stream().anyMatch(e -> isPostgresBundle(e.getName()));
            other = jf.stream().anyMatch(e -> !e.isDirectory() && !isPostgresBundle(e.getName())
                    && !e.getName().toUpperCase(java.util.Locale.ROOT).startsWith("META-INF/"));
        } catch (IOException e) {
            return jar; // not a jar: upload it as it is
        }
        if (!bundles) {
            return jar;
        }
        if (!other) {
            return null;
        }
        Path target = tmp.resolve(name);
        try (JarFile jf = new JarFile(jar.toFile()); OutputStream os = Files.newOutputStream(target);
             JarOutputStream out = new JarOutputStream(os)) {
            for (java.util.Enumeration<JarEntry> en = jf.entries(); en.hasMoreElements(); ) {
                JarEntry e = en.nextElement();
                if (isPostgresBundle(e.getName())) {
                    continue;
                }
                JarEntry copy = new JarEntry(e.getName());
                copy.setTime(e.getTime());
                out.putNextEntry(copy);
                try (java.io.InputStream in = jf.getInputStream(e)) {
                    in.transferTo(out);
                }
                out.closeEntry();
            }
        }
        return target;
    }

    /** A file name for entry {@code i} on the host: its index and its own name, a class folder as a jar. */
    static String remoteName(int i, Path entry) {
        String name = entry.getFileName() == null ? "root" : entry.getFileName().toString().replaceAll("[^A-Za-z0-9._-]", "_");
        if (Files.isDirectory(entry)) {
            Path parent = entry.getParent();
            String p = parent == null || parent.getFileName() == null ? "" : parent.getFileName().toString() + "-";
            name = (p + name).replaceAll("[^A-Za-z0-9._-]", "_") + ".jar";
        }
        return String.format("%03d-%s", i, name);
    }
}
