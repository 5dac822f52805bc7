package io.deliverycheck.systems;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A system's settings: every option's value, defaults filled in, validated. Immutable. */
public final class Settings {
    private final Map<String, String> values;

    private Settings(Map<String, String> values) {
        this.values = Map.copyOf(values);
    }

    /**
     * Validates {@code K=V} pairs against {@code options} and fills in the defaults. A bad pair
     * throws {@link IllegalArgumentException} with one line naming the option and what is allowed.
     */
    public static Settings parse(String system, List<SystemOption> options, List<String> pairs) {
        Map<String, String> v = new LinkedHashMap<>();
        for (SystemOption o : options) {
            v.put(o.name(), o.defaultValue());
        }
        for (String pair : pairs) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--system-opt " + pair + ": expected KEY=VALUE");
            }
            String k = pair.substring(0, eq).trim();
            String val = pair.substring(eq + 1).trim();
            SystemOption o = options.stream().filter(x -> x.name().equals(k)).findFirst().orElseThrow(() ->
                    new IllegalArgumentException("--system-opt " + k + ": system " + system + " has no such option; it has: "
                            + (options.isEmpty() ? "none" : String.join(", ", options.stream().map(SystemOption::name).toList()))));
            if (!o.values().isEmpty() && !o.values().contains(val)) {
                throw new IllegalArgumentException("--system-opt " + k + "=" + val + ": choose one of " + String.join(", ", o.values()));
            }
            v.put(k, val);
        }
        return new Settings(v);
    }

    /** The value of option {@code name}; throws if the system has no such option (a programming error). */
    public String get(String name) {
        String v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException("no option " + name + " (options: " + values.keySet() + ")");
        }
        return v;
    }

    public int getInt(String name) {
        try {
            return Integer.parseInt(get(name));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--system-opt " + name + "=" + get(name) + ": expected an integer");
        }
    }

    public boolean getBoolean(String name) {
        String v = get(name);
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException("--system-opt " + name + "=" + v + ": expected true or false");
        }
        return Boolean.parseBoolean(v);
    }

    /** All values, for the {@code system} op's {@code settings} and {@code test.json}. */
    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        values.forEach(o::put);
        return o;
    }

    public Map<String, String> asMap() {
        return values;
    }
}
