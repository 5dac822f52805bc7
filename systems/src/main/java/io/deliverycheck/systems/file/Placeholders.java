package io.deliverycheck.systems.file;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code {name}} placeholders of a system file's commands and environment values
 * (docs/systems.md has the table). {@code {{} and {@code }}} stand for literal braces. The names a
 * file may use depend on its ports, database and options; {@link #check} refuses any other name at
 * read time, {@link #expand} fills them in for one node.
 */
public final class Placeholders {
    private static final Pattern P = Pattern.compile("\\{\\{|}}|\\{([^{}]*)}");

    /** Names every file may use. */
    static final List<String> FIXED = List.of("id", "index", "nodes", "host", "data_dir", "log_dir", "log_file",
            "run_dir", "file_dir", "token", "java", "classpath");

    private final Set<String> names;

    private Placeholders(Set<String> names) {
        this.names = names;
    }

    /** The names a file with these ports, database and options may use. */
    public static Placeholders known(Collection<String> ports, boolean database, Collection<String> options) {
        Set<String> n = new LinkedHashSet<>(FIXED);
        for (String p : ports) {
            for (String f : List.of("port.", "addr.", "proxy.", "peers.", "members.")) {
                n.add(f + p);
            }
            n.add("proxy." + p + ".host");
            n.add("proxy." + p + ".port");
        }
        if (database) {
            n.addAll(List.of("database.url", "database.host", "database.port"));
        }
        for (String o : options) {
            n.add("opt." + o);
        }
        return new Placeholders(n);
    }

    /** Also {@code {pid}} (the node's process id), for a stop command. */
    Placeholders withPid() {
        Set<String> n = new LinkedHashSet<>(names);
        n.add("pid");
        return new Placeholders(n);
    }

    public Set<String> names() {
        return names;
    }

    /** Throws (through {@code error(pointer, what)}) at the first unknown or unclosed placeholder of {@code s}. */
    void check(String s, String pointer, BiFunction<String, String, RuntimeException> error) {
        for (String n : used(s, pointer, error)) {
            if (!names.contains(n)) {
                throw error.apply(pointer, "unknown placeholder {" + n + "} (known here: " + String.join(", ", names.stream().map(x -> "{" + x + "}").toList()) + ")");
            }
        }
    }

    private static List<String> used(String s, String pointer, BiFunction<String, String, RuntimeException> error) {
        List<String> out = new ArrayList<>();
        Matcher m = P.matcher(s);
        int end = 0;
        while (m.find()) {
            String gap = s.substring(end, m.start());
            if (gap.contains("{") || gap.contains("}")) {
                throw error.apply(pointer, "unbalanced brace in \"" + s + "\" (write {{ or }} for a literal one)");
            }
            if (m.group(1) != null) {
                out.add(m.group(1));
            }
            end = m.end();
        }
        String rest = s.substring(end);
        if (rest.contains("{") || rest.contains("}")) {
            throw error.apply(pointer, "unbalanced brace in \"" + s + "\" (write {{ or }} for a literal one)");
        }
        return out;
    }

    /** {@code s} with every placeholder replaced from {@code values} (a checked string: every name is there). */
    public static String expand(String s, Map<String, String> values) {
        Matcher m = P.matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String g = m.group();
            String r;
            if (g.equals("{{")) {
                r = "{";
            } else if (g.equals("}}")) {
                r = "}";
            } else {
                r = values.get(m.group(1));
                if (r == null) {
                    throw new IllegalStateException("placeholder {" + m.group(1) + "} has no value here");
                }
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(r));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    public static List<String> expand(List<String> args, Map<String, String> values) {
        return args.stream().map(a -> expand(a, values)).toList();
    }
}
