package io.deliverycheck.environments.nemesis;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.runner.Grudge;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Partition shapes, after Jepsen's {@code jepsen.nemesis} (bisect, split-one, bridge,
 * majorities-ring), as {@link Grudge}s over the node names; plus isolating the database from one node.
 * Each shape returns a {@link Shaped}: the grudge and a JSON detail that names every choice made, so
 * {@link #fromDetail} rebuilds the same grudge without randomness.
 */
public final class Grudges {

    private Grudges() {
    }

    /** A grudge with the JSON detail recorded in the fault plan and in the nemesis ops. */
    public record Shaped(String shape, Grudge grudge, ObjectNode detail) {
    }

    /** Builds {@code shape} (one of {@link io.deliverycheck.checker.runner.Fault#SHAPES}) over {@code nodes}. */
    public static Shaped shape(String shape, List<String> nodes, Random rnd) {
        if (nodes.size() < 2) {
            throw new IllegalArgumentException("a partition needs at least 2 nodes, not " + nodes);
        }
        return switch (shape) {
            case "halves" -> halves(nodes, rnd);
            case "isolate-one" -> isolateOne(nodes, rnd);
            case "isolate-db" -> isolateDb(nodes, rnd);
            case "bridge" -> bridge(nodes, rnd);
            case "ring" -> ring(nodes, rnd);
            default -> throw new IllegalArgumentException("unknown partition shape '" + shape + "'");
        };
    }

    /** Random halves: shuffle, then cut in two with the smaller half first (Jepsen's bisect). */
    public static Shaped halves(List<String> nodes, Random rnd) {
        List<String> s = shuffled(nodes, rnd);
        int cut = s.size() / 2;
        List<List<String>> components = List.of(sorted(s.subList(0, cut)), sorted(s.subList(cut, s.size())));
        return components("halves", nodes, components);
    }

    /** One random node cut off from every other node (Jepsen's split-one); the database stays reachable. */
    public static Shaped isolateOne(List<String> nodes, Random rnd) {
        String x = nodes.get(rnd.nextInt(nodes.size()));
        List<String> rest = new ArrayList<>(nodes);
        rest.remove(x);
        return components("isolate-one", nodes, List.of(List.of(x), sorted(rest)));
    }

    /** The database cut off from one random node; the nodes still hear each other. */
    public static Shaped isolateDb(List<String> nodes, Random rnd) {
        String x = nodes.get(rnd.nextInt(nodes.size()));
        Grudge g = new Grudge(Map.of(x, Set.of(Grudge.DB), Grudge.DB, Set.of(x)));
        ObjectNode detail = detail(List.of(List.of(x), List.of(Grudge.DB)), g);
        return new Shaped("isolate-db", g, detail);
    }

    /**
     * Two halves with one node of the larger half in the middle, hearing and heard by everyone
     * (Jepsen's bridge).
     */
    public static Shaped bridge(List<String> nodes, Random rnd) {
        List<String> s = shuffled(nodes, rnd);
        int cut = s.size() / 2;
        List<String> a = s.subList(0, cut);
        List<String> b = s.subList(cut, s.size());
        String bridge = b.get(0);
        Map<String, Set<String>> refuses = new HashMap<>(Grudge.ofComponents(nodes, List.of(a, b)).refuses());
        refuses.remove(bridge);
        refuses.replaceAll((k, v) -> {
            Set<String> copy = new HashSet<>(v);
            copy.remove(bridge);
            return copy;
        });
        Grudge g = new Grudge(refuses);
        ObjectNode detail = detail(List.of(sorted(a), sorted(b)), g);
        detail.put("bridge", bridge);
        return new Shaped("bridge", g, detail);
    }

    /**
     * Jepsen's perfect majorities ring: nodes on a shuffled ring, each sees the majority window
     * centred on itself and refuses the rest, so every node sees a majority but no two see the same
     * one. With 3 nodes the refusals form a one-way cycle, which a TCP link cut in either direction
     * makes a total partition; it is meaningful from 4 nodes on.
     */
    public static Shaped ring(List<String> nodes, Random rnd) {
        List<String> s = shuffled(nodes, rnd);
        int n = s.size();
        int m = n / 2 + 1;
        Map<String, Set<String>> refuses = new HashMap<>();
        for (int k = 0; k < n; k++) {
            List<String> window = new ArrayList<>();
            for (int i = 0; i < m; i++) {
                window.add(s.get((k + i) % n));
            }
            String centre = window.get(m / 2);
            Set<String> refused = new HashSet<>(nodes);
            refused.removeAll(window);
            refuses.put(centre, refused);
        }
        Grudge g = new Grudge(refuses);
        ObjectNode detail = detail(null, g);
        ArrayNode ring = detail.putArray("ring");
        s.forEach(ring::add);
        return new Shaped("ring", g, detail);
    }

    /** The grudge that cuts every link any of {@code grudges} cuts (overlapping partitions compose). */
    public static Grudge union(Collection<Grudge> grudges) {
        java.util.Map<String, java.util.Set<String>> all = new java.util.TreeMap<>();
        for (Grudge g : grudges) {
            g.refuses().forEach((member, refused) -> all.computeIfAbsent(member, m -> new java.util.TreeSet<>()).addAll(refused));
        }
        return new Grudge(all);
    }

    /** Rebuilds the grudge recorded in a fault's detail ({@code "grudge": {"n1": ["n2"], ...}}). */
    public static Grudge fromDetail(ObjectNode detail) {
        if (detail == null || !detail.has("grudge") || !detail.get("grudge").isObject()) {
            throw new IllegalArgumentException("partition fault detail has no \"grudge\" object: " + detail);
        }
        Map<String, Set<String>> refuses = new HashMap<>();
        Iterator<Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>> it = detail.get("grudge").fields();
        while (it.hasNext()) {
            Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> e = it.next();
            Set<String> set = new HashSet<>();
            e.getValue().forEach(v -> set.add(v.asText()));
            refuses.put(e.getKey(), set);
        }
        return new Grudge(refuses);
    }

    private static Shaped components(String shape, List<String> nodes, List<List<String>> components) {
        Grudge g = Grudge.ofComponents(nodes, components);
        return new Shaped(shape, g, detail(components, g));
    }

    private static ObjectNode detail(List<List<String>> components, Grudge g) {
        ObjectNode d = JsonNodeFactory.instance.objectNode();
        if (components != null) {
            ArrayNode p = d.putArray("partition");
            for (List<String> c : components) {
                ArrayNode a = p.addArray();
                c.forEach(a::add);
            }
        }
        ObjectNode grudge = d.putObject("grudge");
        g.asLists().forEach((k, v) -> {
            ArrayNode a = grudge.putArray(k);
            v.forEach(a::add);
        });
        return d;
    }

    private static List<String> shuffled(List<String> nodes, Random rnd) {
        List<String> s = new ArrayList<>(nodes);
        Collections.shuffle(s, rnd);
        return s;
    }

    private static List<String> sorted(Collection<String> c) {
        List<String> l = new ArrayList<>(c);
        Collections.sort(l);
        return l;
    }
}
