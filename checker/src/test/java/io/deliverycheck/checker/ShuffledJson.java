package io.deliverycheck.checker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.Op;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * Writes a history as JSON Lines with the keys of every object (the op's and, recursively, its
 * value's) in a random order from a seed, and absent optional fields sometimes written as null:
 * what an adapter in another language may write. The order of keys carries no meaning (HISTORY.md).
 */
final class ShuffledJson {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory NF = JsonNodeFactory.instance;

  private ShuffledJson() {}

  static Path write(List<Op> ops, Path file, long seed) throws IOException {
    SplittableRandom r = new SplittableRandom(seed);
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (Op op : ops) {
        w.write(line(op, r));
        w.write('\n');
      }
    }
    return file;
  }

  static String line(Op op, SplittableRandom r) throws IOException {
    ObjectNode o = NF.objectNode();
    o.put("index", op.index());
    o.put("time", op.time());
    o.put("process", op.process());
    o.put("type", op.type().wire());
    o.put("f", op.f());
    o.set("value", op.value());
    if (op.node() != null || r.nextInt(4) == 0) {
      o.put("node", op.node());
    }
    if (op.error() != null || r.nextInt(4) == 0) {
      o.put("error", op.error());
    }
    return JSON.writeValueAsString(shuffle(o, r));
  }

  private static JsonNode shuffle(JsonNode n, SplittableRandom r) {
    if (n.isObject()) {
      List<Map.Entry<String, JsonNode>> fields = new ArrayList<>();
      n.fields().forEachRemaining(fields::add);
      Collections.shuffle(fields, new Random(r.nextLong()));
      ObjectNode o = NF.objectNode();
      for (Map.Entry<String, JsonNode> e : fields) {
        o.set(e.getKey(), shuffle(e.getValue(), r));
      }
      return o;
    }
    return n;
  }
}
