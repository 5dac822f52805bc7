package io.deliverycheck.specs;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TLC counterexample of {@code DeliveryGuarantees.tla} as a message sequence chart: one lane
 * per participant (the sender, the nodes' HTTP front, the store, each worker, each device), one
 * row per step, drawn as an arrow between the lanes it involves (a loop for a step of one lane,
 * a cut arrow for a lost message), and the violated property named at the step where it breaks.
 *
 * <p>TLC names each step's action but not its arguments; they are read back from what the
 * step changed (which row, which worker, which message). An action the chart does not know is
 * drawn as a note on the store lane with its name, so a changed spec still charts.
 */
final class SequenceChart {
  private static final Pattern ROW = Pattern.compile("<<<<(.+?), (\\d+)>>, (.+?)>>");
  private static final Pattern SID = Pattern.compile("<<(.+?), (\\d+)>>");
  private static final Pattern PAIR = Pattern.compile("<<(.+?), (.+?)>>");
  private static final Pattern ST = Pattern.compile("st \\|-> \"(\\w+)\"");
  private static final Pattern ATT = Pattern.compile("att \\|-> (\\d+)");
  private static final Pattern W = Pattern.compile("w \\|-> (\\w+)");

  static final int LANE = 170;
  static final int LEFT = 56;
  static final int TOP = 58;
  static final int ROW_H = 40;

  /** What each property says, in the words of specs/README.md. */
  static final Map<String, String> MEANING = Map.ofEntries(
      Map.entry("NoLoss", "every accepted message is eventually applied on every owed device"),
      Map.entry("NoUnresolved", "for every owed device of an accepted message, the sender is eventually told delivered, read or failed"),
      Map.entry("AcceptedIsDurable", "from the moment the sender hears \"accepted\", the message is committed"),
      Map.entry("NoDuplicateEffect", "no device applies a message's effect twice"),
      Map.entry("NoUnexpected", "no device applies a message the store never committed"),
      Map.entry("NoMisrouted", "no device applies a message not owed to it"),
      Map.entry("NoFalseDelivered", "\"delivered\" is told only after the device applied the message"),
      Map.entry("NoReadBeforeDelivered", "\"read\" is told only after a receive or a \"delivered\""),
      Map.entry("ReceiptsMonotonic", "a receipt never ranks below the one told before it"),
      Map.entry("NoReorder", "a device never applies b before a when a was accepted before b was sent"),
      Map.entry("DeadLetterNeedsFaults", "a dead-lettered row cost at least EffMax faults"),
      Map.entry("HappyPathUnreachable", "(a reachability check) no message is ever accepted, applied and read"),
      Map.entry("TypeOK", "every variable has its intended type"));

  /** One arrow (or loop, or cut arrow) of a step. */
  record Arrow(int from, int to, String label, String style) {}

  /** One step: its number, action, arrows and the variable changes behind them. */
  record Step(int number, String action, List<Arrow> arrows, List<String> changes) {}

  /** The chart of one counterexample. */
  record Chart(List<String> lanes, List<Step> steps, String property, boolean temporal, String ending) {}

  private SequenceChart() {}

  /** Builds the chart of a counterexample that violates {@code property}. */
  static Chart of(List<TraceState> trace, String property, boolean temporal) {
    List<String> lanes = new ArrayList<>(List.of("sender", "nodes", "store"));
    Map<String, String> first = trace.isEmpty() ? Map.of() : trace.get(0).vars();
    Map<String, String> wk = TlaValues.function(first.getOrDefault("wk", "()"));
    if (wk != null) wk.keySet().forEach(w -> lanes.add("worker " + w));
    Map<String, String> seen = TlaValues.function(first.getOrDefault("seen", "()"));
    if (seen != null) seen.keySet().forEach(d -> lanes.add("device " + d));
    List<Step> steps = new ArrayList<>();
    Map<String, String> prev = null;
    String ending = null;
    for (TraceState s : trace) {
      if (s.kind() == TraceState.Kind.STUTTERING) {
        ending = "from state " + (s.number() - 1) + " on, no step happens any more (stuttering)";
        continue;
      }
      if (s.kind() == TraceState.Kind.BACK_TO_STATE) {
        ending = s.action() + ": the behaviour loops forever";
        continue;
      }
      if (prev == null) {
        prev = s.vars();
        continue;
      }
      Map<String, Map<String, String>> ch = changed(prev, s.vars());
      List<String> text = new ArrayList<>();
      for (var v : s.vars().entrySet()) {
        String before = prev.get(v.getKey());
        if (!v.getValue().equals(before)) text.addAll(Counterexample.changes(v.getKey(), before, v.getValue()));
      }
      steps.add(new Step(s.number(), s.action(), arrows(s.action(), ch, prev, lanes), text));
      prev = s.vars();
    }
    return new Chart(List.copyOf(lanes), List.copyOf(steps), property, temporal, ending);
  }

  /** Per variable, the entries that changed (key "" for a value that is not a function). */
  static Map<String, Map<String, String>> changed(Map<String, String> before, Map<String, String> after) {
    Map<String, Map<String, String>> out = new LinkedHashMap<>();
    for (var v : after.entrySet()) {
      String b = before.get(v.getKey());
      if (v.getValue().equals(b)) continue;
      Map<String, String> fb = b == null ? null : TlaValues.function(b);
      Map<String, String> fa = fb == null ? null : TlaValues.function(v.getValue());
      Map<String, String> entries = new LinkedHashMap<>();
      if (fa != null && fa.keySet().equals(fb.keySet())) {
        fa.forEach((k, x) -> {
          if (!x.equals(fb.get(k))) entries.put(k, x);
        });
      } else {
        entries.put("", v.getValue());
      }
      out.put(v.getKey(), entries);
    }
    return out;
  }

  private static String firstKey(Map<String, Map<String, String>> ch, String var) {
    Map<String, String> e = ch.get(var);
    return e == null || e.isEmpty() ? null : e.keySet().iterator().next();
  }

  private static String firstValue(Map<String, Map<String, String>> ch, String var) {
    Map<String, String> e = ch.get(var);
    return e == null || e.isEmpty() ? null : e.values().iterator().next();
  }

  private static String group(Pattern p, String s, int g) {
    if (s == null) return null;
    Matcher m = p.matcher(s);
    return m.find() ? m.group(g) : null;
  }

  /** "m1/2 on d1" for a row key {@code <<<<m1, 2>>, d1>>}. */
  private static String rowName(String key) {
    Matcher m = key == null ? null : ROW.matcher(key);
    return m != null && m.find() ? m.group(1) + "/" + m.group(2) + " for " + m.group(3) : "a row";
  }

  private static int device(List<String> lanes, String d) {
    int i = d == null ? -1 : lanes.indexOf("device " + d.replace("\"", ""));
    if (i < 0 && d != null) i = lanes.indexOf("device " + d);
    return i < 0 ? 2 : i;
  }

  private static int worker(List<String> lanes, String w) {
    int i = w == null ? -1 : lanes.indexOf("worker " + w);
    return i < 0 ? 2 : i;
  }

  /** The worker whose wk entry changed, else the one named in a changed push. */
  private static String changedWorker(Map<String, Map<String, String>> ch) {
    String w = firstKey(ch, "wk");
    return w != null ? w : group(W, firstValue(ch, "pushes"), 1);
  }

  private static String removedPushWorker(Map<String, String> before, Map<String, Map<String, String>> ch) {
    String now = firstValue(ch, "pushes");
    String was = before.get("pushes");
    if (was == null) return null;
    for (String part : TlaValues.splitTopLevel(was.strip().replaceAll("^\\{|\\}$", ""), ", ")) {
      if (now == null || !now.contains(part.strip())) {
        String w = group(W, part, 1);
        if (w != null) return w;
      }
    }
    return group(W, was, 1);
  }

  static List<Arrow> arrows(String action, Map<String, Map<String, String>> ch, Map<String, String> before,
      List<String> lanes) {
    final int sender = 0;
    final int nodes = 1;
    final int store = 2;
    List<Arrow> out = new ArrayList<>();
    String rowKey = firstKey(ch, "row");
    String rowVal = firstValue(ch, "row");
    String rowDev = group(ROW, rowKey, 3);
    String w = changedWorker(ch);
    switch (action) {
      case "Send" -> {
        String m = firstKey(ch, "sent");
        out.add(new Arrow(sender, nodes, "POST " + m + " (attempt " + firstValue(ch, "sent") + ")", "solid"));
      }
      case "ClientTimeout" -> out.add(new Arrow(sender, sender, "no answer for " + firstKey(ch, "cst") + " in time (info)", "self"));
      case "ClientReceive" -> {
        String m = firstKey(ch, "cst");
        out.add(new Arrow(nodes, sender, m != null ? "200 accepted (" + m + ")" : "a late answer, ignored", "solid"));
      }
      case "HandleSend", "DuplicateRequest" -> {
        String k = firstKey(ch, "txn");
        String label = k != null ? "BEGIN: insert " + k.replaceAll("[<>]", "").replace(", ", "/")
            : "key already committed: accepted again";
        if (k != null && ch.containsKey("resps")) label += "; answers accepted before COMMIT";
        out.add(new Arrow(nodes, store, action.equals("DuplicateRequest") ? "replayed request (fault): " + label : label,
            action.equals("DuplicateRequest") ? "fault" : "solid"));
      }
      case "Commit" -> out.add(new Arrow(store, nodes, "COMMIT " + String.valueOf(firstKey(ch, "txn")).replaceAll("[<>]", "")
          .replace(", ", "/") + ": rows due, \"accepted\" logged", "solid"));
      case "Abort" -> out.add(new Arrow(store, store, "transaction aborts (fault)", "fault-self"));
      case "LoseRequest" -> out.add(new Arrow(sender, nodes, "request lost (fault)", "lost"));
      case "LoseResponse" -> out.add(new Arrow(nodes, sender, "response lost (fault)", "lost"));
      case "ClaimAndPush", "PushSelected", "Select" -> {
        int wl = worker(lanes, w);
        if (!action.equals("PushSelected")) {
          out.add(new Arrow(store, wl, (action.equals("Select") ? "select (no lock, no lease) " : "claim ")
              + rowName(rowKey != null ? rowKey : group(Pattern.compile("row \\|-> (<<<<.+?>>, .+?>>)"), firstValue(ch, "wk"), 1))
              + (rowVal != null && group(ATT, rowVal, 1) != null ? ", attempt " + group(ATT, rowVal, 1) : ""), "solid"));
        }
        if (!action.equals("Select")) {
          String pushed = firstValue(ch, "pushes");
          String d = group(Pattern.compile("row \\|-> <<<<.+?>>, (.+?)>>"), pushed, 1);
          out.add(new Arrow(wl, device(lanes, d), "push " + rowName(rowKey), "dashed"));
          if ("delivered".equals(group(ST, rowVal, 1))) {
            out.add(new Arrow(wl, store, "socket write counted as delivered; \"delivered\" logged", "solid"));
          }
        }
      }
      case "WorkerDone" -> out.add(new Arrow(worker(lanes, w), worker(lanes, w), "row delivered: done", "self"));
      case "AckTimeout", "AckTimeoutEarly" -> {
        String st = group(ST, rowVal, 1);
        String what = "dead".equals(st) ? "dead-letter " + rowName(rowKey) + ", \"failed\" logged"
            : "due".equals(st) ? "release " + rowName(rowKey) + " for a retry" : "give up waiting";
        boolean fault = action.equals("AckTimeoutEarly");
        out.add(new Arrow(worker(lanes, w), store, "no ack in time" + (fault ? " (fault: only slow)" : "") + ": " + what,
            fault ? "fault" : "solid"));
      }
      case "ExpireLease", "ExpireLeaseEarly" -> {
        String st = group(ST, rowVal, 1);
        boolean fault = action.equals("ExpireLeaseEarly");
        out.add(new Arrow(store, store, "lease of " + rowName(rowKey) + " expires" + (fault ? " while its holder lives (fault)" : "")
            + ("dead".equals(st) ? ": dead-lettered, \"failed\" logged" : ": due again"), fault ? "fault-self" : "self"));
      }
      case "DeviceReceive" -> {
        String e = firstKey(ch, "effects");
        String d = e != null ? group(PAIR, e, 2) : group(Pattern.compile("<<<<.+?>>, (.+?)>>"), firstValue(ch, "acks"), 1);
        String pw = removedPushWorker(before, ch);
        out.add(new Arrow(worker(lanes, pw), device(lanes, d), e != null
            ? "applies " + group(PAIR, e, 1) + " (effect " + firstValue(ch, "effects") + "), acks"
            : "duplicate push: not applied again, acks", "solid"));
      }
      case "LosePush" -> {
        String pw = removedPushWorker(before, ch);
        String d = group(Pattern.compile("row \\|-> <<<<.+?>>, (.+?)>>"), before.get("pushes"), 1);
        out.add(new Arrow(worker(lanes, pw), device(lanes, d), "push lost (fault)", "lost"));
      }
      case "LoseAck" -> {
        String d = group(Pattern.compile("<<<<.+?>>, (.+?)>>"), before.get("acks"), 1);
        out.add(new Arrow(device(lanes, d), store, "ack lost (fault)", "lost"));
      }
      case "HandleAck" -> out.add(new Arrow(device(lanes, rowDev), store, rowKey != null
          ? "ack: " + rowName(rowKey) + " delivered, \"delivered\" logged" : "ack of a delivered row", "solid"));
      case "Read" -> {
        String log = firstValue(ch, "log");
        String d = group(Pattern.compile("ds \\|-> \\{([^}]*)\\}, st \\|-> \"read\""), log, 1);
        out.add(new Arrow(device(lanes, d), store, "user reads: \"read\" logged", "solid"));
      }
      case "TellNext" -> {
        String k = firstKey(ch, "told");
        String st = firstValue(ch, "last");
        if (st == null && k != null) st = firstValue(ch, "told").contains("\"failed\"") ? "\"failed\"" : "a state";
        out.add(new Arrow(store, sender, k != null ? "receipt " + st.replace("\"", "") + " for "
            + k.replaceAll("[<>]", "").replace(", ", " on ") : "receipt not told again (ranks below what was told)", "solid"));
      }
      case "Reconnect" -> out.add(new Arrow(sender, store, "receipts socket reconnects", "solid"));
      case "DropReceipts" -> out.add(new Arrow(store, sender, "receipts socket drops (fault)", "lost"));
      case "CrashNode" -> out.add(new Arrow(worker(lanes, w), worker(lanes, w), "node crashes and restarts (fault)", "fault-self"));
      default -> out.add(new Arrow(store, store, action, "self"));
    }
    return out;
  }

  // ---- SVG ------------------------------------------------------------------------------

  static String svg(Chart c) {
    int width = LEFT + c.lanes().size() * LANE + 150;
    int rows = 1;
    for (Step s : c.steps()) rows += Math.max(1, s.arrows().size());
    int height = TOP + rows * ROW_H + 30;
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"msc\" width=\"%d\" height=\"%d\" "
        + "viewBox=\"0 0 %d %d\" data-lanes=\"%d\" data-steps=\"%d\" role=\"img\" aria-label=\"message sequence chart\">\n",
        width, height, width, height, c.lanes().size(), c.steps().size()));
    b.append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
        + "orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\"/></marker></defs>\n");
    for (int l = 0; l < c.lanes().size(); l++) {
      int x = x(l);
      b.append(String.format(Locale.ROOT, "<g class=\"lane\" data-lane=\"%s\"><rect x=\"%d\" y=\"8\" width=\"%d\" height=\"30\" rx=\"6\"/>"
          + "<text x=\"%d\" y=\"28\" text-anchor=\"middle\">%s</text><line x1=\"%d\" y1=\"38\" x2=\"%d\" y2=\"%d\"/></g>\n",
          Html.esc(c.lanes().get(l)), x - 70, 140, x, Html.esc(c.lanes().get(l)), x, x, height - 10));
    }
    int top = TOP;
    for (int i = 0; i < c.steps().size(); i++) {
      Step s = c.steps().get(i);
      int h = Math.max(1, s.arrows().size()) * ROW_H;
      boolean breaks = !c.temporal() && i == c.steps().size() - 1 && c.property() != null;
      b.append(String.format(Locale.ROOT, "<g class=\"step%s\" data-step=\"%d\" data-action=\"%s\"%s>",
          breaks ? " breaks" : "", s.number(), Html.esc(s.action()),
          breaks ? " data-violated=\"" + Html.esc(c.property()) + "\"" : ""));
      b.append("<title>").append(s.number()).append(". ").append(Html.esc(s.action())).append('\n')
          .append(Html.esc(String.join("\n", s.changes()))).append("</title>");
      b.append(String.format(Locale.ROOT, "<rect class=\"%s\" x=\"4\" y=\"%d\" width=\"%d\" height=\"%d\"/>",
          breaks ? "band" : (i % 2 == 0 ? "even" : "odd"), top, width - 8, h));
      b.append(String.format(Locale.ROOT, "<text class=\"num\" x=\"12\" y=\"%d\">%d</text>", top + ROW_H / 2 + 8, s.number()));
      b.append(String.format(Locale.ROOT, "<text class=\"action\" x=\"12\" y=\"%d\">%s</text>", top + 12, Html.esc(s.action())));
      int k = 0;
      for (Arrow a : s.arrows()) arrow(b, a, top + (k++) * ROW_H + ROW_H / 2 + 8);
      if (breaks) {
        b.append(String.format(Locale.ROOT, "<text class=\"violation\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%s violated here</text>",
            width - 12, top + 14, Html.esc(c.property())));
      }
      b.append("</g>\n");
      top += h;
    }
    if (c.temporal() && c.property() != null) {
      b.append(String.format(Locale.ROOT, "<g class=\"step breaks ending\" data-violated=\"%s\"><rect class=\"band\" x=\"4\" y=\"%d\" "
          + "width=\"%d\" height=\"%d\"/><text class=\"violation\" x=\"%d\" y=\"%d\">%s violated: %s</text></g>\n",
          Html.esc(c.property()), top, width - 8, ROW_H, LEFT, top + ROW_H / 2 + 5, Html.esc(c.property()),
          Html.esc(c.ending() == null ? "the behaviour ends here" : c.ending())));
    }
    b.append("</svg>\n");
    return b.toString();
  }

  private static int x(int lane) {
    return LEFT + 70 + lane * LANE;
  }

  private static void arrow(StringBuilder b, Arrow a, int y) {
    String cls = "arrow " + a.style();
    int x1 = x(a.from());
    int x2 = x(a.to());
    if (a.from() == a.to() || a.style().endsWith("self")) {
      b.append(String.format(Locale.ROOT, "<g class=\"%s\"><path d=\"M%d,%d h28 v12 h-26\" marker-end=\"url(#arrow)\"/>"
          + "<text x=\"%d\" y=\"%d\">%s</text></g>", cls, x1, y - 8, x1 + 34, y + 2, Html.esc(a.label())));
      return;
    }
    int mid = (x1 + x2) / 2;
    if (a.style().equals("lost")) {
      int end = x1 + (x2 - x1) * 6 / 10;
      b.append(String.format(Locale.ROOT, "<g class=\"%s\"><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
          + "<text class=\"cross\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">&#215;</text>"
          + "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text></g>", cls, x1, y, end, y, end, y + 6, mid, y - 6,
          Html.esc(a.label())));
      return;
    }
    b.append(String.format(Locale.ROOT, "<g class=\"%s\"><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" marker-end=\"url(#arrow)\"/>"
        + "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text></g>", cls, x1, y, x2 + (x2 > x1 ? -2 : 2), y, mid, y - 6,
        Html.esc(a.label())));
  }

  /** HTML escaping for text and attribute values. */
  static final class Html {
    private Html() {}

    static String esc(String s) {
      if (s == null) return "";
      StringBuilder b = new StringBuilder(s.length());
      for (int i = 0; i < s.length(); i++) {
        char ch = s.charAt(i);
        switch (ch) {
          case '<' -> b.append("&lt;");
          case '>' -> b.append("&gt;");
          case '&' -> b.append("&amp;");
          case '"' -> b.append("&quot;");
          default -> b.append(ch);
        }
      }
      return b.toString();
    }
  }
}
