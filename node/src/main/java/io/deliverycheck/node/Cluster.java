package io.deliverycheck.node;

import io.vertx.core.Context;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.Receiver;
import org.jgroups.View;

/**
 * Membership and node-to-node messages over JGroups (stack: deliverycheck-jgroups.xml). The view
 * decides which nodes' directory entries count; every node announces the sockets it holds (devices,
 * receipt subscribers) and re-announces them on each view change. Sends go through one sender
 * thread (JGroups may block), receives are handed to the node's Vert.x context.
 */
public final class Cluster implements Receiver {
  private static final Pattern PROP = Pattern.compile("\\$\\{([^:}]+)(?::([^}]*))?}");

  private final NodeConfig cfg;
  private final Directory dir;
  private final Context ctx;
  private final Logger log;
  private final Consumer<JsonObject> onMessage;
  private final ExecutorService sender;
  private volatile JChannel ch;
  private volatile Map<String, Address> members = Map.of();

  public Cluster(NodeConfig cfg, Directory dir, Context ctx, Logger log, Consumer<JsonObject> onMessage) {
    this.cfg = cfg;
    this.dir = dir;
    this.ctx = ctx;
    this.log = log;
    this.onMessage = onMessage;
    this.sender = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "cluster-send-" + cfg.id);
      t.setDaemon(true);
      return t;
    });
  }

  /** The stack with this node's values substituted for the ${property:default} placeholders. */
  static String stack(Map<String, String> values) throws IOException {
    String xml;
    try (InputStream in = Cluster.class.getResourceAsStream("/deliverycheck-jgroups.xml")) {
      xml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    Matcher m = PROP.matcher(xml);
    StringBuilder b = new StringBuilder();
    while (m.find()) {
      String v = values.getOrDefault(m.group(1), System.getProperty(m.group(1), m.group(2) == null ? "" : m.group(2)));
      m.appendReplacement(b, Matcher.quoteReplacement(v));
    }
    m.appendTail(b);
    return b.toString().replaceAll("\\s[a-z_.]+=\"\"", "");
  }

  /** Joins (or forms) the cluster. Blocking: never call on an event loop. */
  public void start(int clusterPort) throws Exception {
    Map<String, String> v = new HashMap<>();
    v.put("jgroups.bind_addr", cfg.bindHost);
    v.put("jgroups.client_bind_addr", cfg.bindHost);
    v.put("jgroups.bind_port", Integer.toString(clusterPort));
    if (cfg.clusterExternalHost != null && !cfg.clusterExternalHost.isBlank()) {
      v.put("jgroups.external_addr", cfg.clusterExternalHost);
    }
    if (cfg.clusterExternalPort > 0) {
      v.put("jgroups.external_port", Integer.toString(cfg.clusterExternalPort));
    }
    StringBuilder hosts = new StringBuilder(cfg.bindHost + "[" + clusterPort + "]");
    for (String p : cfg.peers.split(",")) {
      p = p.trim();
      if (!p.isEmpty()) {
        int colon = p.lastIndexOf(':');
        if (colon <= 0) {
          throw new IllegalArgumentException("--peers: '" + p + "' is not host:port");
        }
        hosts.append(',').append(p, 0, colon).append('[').append(Integer.parseInt(p.substring(colon + 1))).append(']');
      }
    }
    v.put("jgroups.tcpping.initial_hosts", hosts.toString());
    JChannel c = new JChannel(new ByteArrayInputStream(stack(v).getBytes(StandardCharsets.UTF_8)));
    c.name(cfg.id);
    c.setReceiver(this);
    c.setDiscardOwnMessages(true);
    c.connect("deliverycheck");
    ch = c;
    viewAccepted(c.getView());
  }

  /** Current member names. */
  public List<String> view() {
    return new ArrayList<>(members.keySet());
  }

  @Override
  public void viewAccepted(View view) {
    Map<String, Address> m = new HashMap<>();
    for (Address a : view.getMembers()) {
      m.put(a.toString(), a);
    }
    members = m;
    dir.retain(m.keySet());
    log.info("view " + view);
    JsonObject snap = new JsonObject().put("t", "snap").put("n", cfg.id).put("k", new JsonArray(dir.localKeys()));
    multicast(snap);
  }

  @Override
  public void receive(Message msg) {
    JsonObject j;
    try {
      j = new JsonObject(new String(msg.getArray(), msg.getOffset(), msg.getLength(), StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      log.warning("bad cluster message from " + msg.getSrc() + ": " + e.getMessage());
      return;
    }
    String src = msg.getSrc() == null ? null : msg.getSrc().toString();
    switch (j.getString("t", "")) {
      case "snap" -> {
        if (members.containsKey(src)) {
          dir.replace(src, j.getJsonArray("k").getList());
        }
      }
      case "add" -> {
        if (members.containsKey(src)) {
          dir.put(j.getString("k"), src);
        }
      }
      case "del" -> dir.drop(j.getString("k"), src);
      default -> ctx.runOnContext(x -> onMessage.accept(j));
    }
  }

  /** Announces that this node now holds (add=true) or no longer holds a key. */
  public void announce(String key, boolean add) {
    multicast(new JsonObject().put("t", add ? "add" : "del").put("k", key));
  }

  /** Sends to every member (not to this node). */
  public void multicast(JsonObject j) {
    send(null, j);
  }

  /** Sends to one node by name (null: everyone). Asynchronous, in order; failures are logged. */
  public void send(String node, JsonObject j) {
    JChannel c = ch;
    if (c == null || sender.isShutdown()) {
      return;
    }
    byte[] bytes = j.encode().getBytes(StandardCharsets.UTF_8);
    try {
      sender.execute(() -> {
        try {
          Address a = node == null ? null : members.get(node);
          if (node != null && a == null) {
            log.fine("no member " + node + " in the view; dropped " + j.getString("t"));
            return;
          }
          c.send(new BytesMessage(a, bytes));
        } catch (Exception e) {
          log.log(Level.FINE, "cluster send to " + node + " failed: " + e);
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing
    }
  }

  /** Leaves the cluster. Blocking. */
  public void close() {
    sender.shutdown();
    try {
      sender.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    JChannel c = ch;
    if (c != null) {
      c.close();
    }
  }
}
