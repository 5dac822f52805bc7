package io.deliverycheck.checker.runner;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A network partition as Jepsen's grudge: for each member, the members it refuses to hear from.
 * Members are node names ("n1") and {@link #DB} for the database. A member absent from the map hears
 * from everyone. The value is immutable and sorted, so equal grudges print equally.
 *
 * <p>Environments whose links are TCP connections (the local proxies) cut a link when either end
 * refuses the other ({@link #cuts}); packet-filtering environments (netns) may honour the direction.
 */
public record Grudge(Map<String, Set<String>> refuses) {

    /** The name of the database in a grudge. */
    public static final String DB = "db";

    /** Copies {@code refuses} into an immutable sorted map; drops empty sets and self-refusals. */
    public Grudge {
        TreeMap<String, Set<String>> copy = new TreeMap<>();
        refuses.forEach((member, refused) -> {
            TreeSet<String> set = new TreeSet<>(refused);
            set.remove(member);
            if (!set.isEmpty()) {
                copy.put(member, Collections.unmodifiableSet(set));
            }
        });
        refuses = Collections.unmodifiableMap(copy);
    }

    /** No partition. */
    public static Grudge none() {
        return new Grudge(Map.of());
    }

    /**
     * Jepsen's complete grudge: every member refuses every member of {@code universe} outside its own
     * component. Members of {@code universe} in no component are left untouched.
     */
    public static Grudge ofComponents(Collection<String> universe, Collection<? extends Collection<String>> components) {
        TreeMap<String, Set<String>> map = new TreeMap<>();
        for (Collection<String> component : components) {
            for (String member : component) {
                Set<String> refused = map.computeIfAbsent(member, m -> new TreeSet<>());
                for (String other : universe) {
                    if (!component.contains(other)) {
                        refused.add(other);
                    }
                }
            }
        }
        return new Grudge(map);
    }

    /** True when {@code member} refuses to hear from {@code from}. */
    public boolean refuses(String member, String from) {
        return refuses.getOrDefault(member, Set.of()).contains(from);
    }

    /** True when the link between {@code a} and {@code b} is cut in either direction. */
    public boolean cuts(String a, String b) {
        return refuses(a, b) || refuses(b, a);
    }

    /** True when nothing is refused. */
    public boolean isEmpty() {
        return refuses.isEmpty();
    }

    /** The refusals as sorted lists, for a JSON value: {"n1":["n2","n3"], ...}. */
    public Map<String, List<String>> asLists() {
        TreeMap<String, List<String>> out = new TreeMap<>();
        refuses.forEach((k, v) -> out.put(k, new ArrayList<>(v)));
        return out;
    }
}
