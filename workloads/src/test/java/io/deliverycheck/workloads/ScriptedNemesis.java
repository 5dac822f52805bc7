package io.deliverycheck.workloads;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Killable;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.FaultPlan;
import io.deliverycheck.checker.runner.Nemesis;
import java.util.List;

/** A test nemesis: kills one node at {@code atMs} and restarts it {@code durationMs} later. */
final class ScriptedNemesis implements Nemesis {
  private final FaultPlan plan;
  private Thread thread;
  private Environment env;
  private Recorder rec;
  private boolean killed;

  ScriptedNemesis(long seed, String node, long atMs, long durationMs) {
    ObjectNode d = JsonNodeFactory.instance.objectNode().put("node", node);
    this.plan = new FaultPlan(seed, List.of(new Fault(atMs, durationMs, Fault.KILL, null, d)));
  }

  @Override
  public FaultPlan plan() {
    return plan;
  }

  @Override
  public void start(Environment env, Recorder rec) {
    this.env = env;
    this.rec = rec;
    Fault f = plan.faults().get(0);
    thread = new Thread(() -> {
      try {
        Thread.sleep(f.atMs());
        synchronized (this) {
          ((Killable) env).kill(node());
          killed = true;
          rec.info("nemesis", "kill", f.detail());
        }
        Thread.sleep(f.durationMs());
        restart();
      } catch (InterruptedException e) {
        // healAll restarts
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    thread.start();
  }

  private String node() {
    return plan.faults().get(0).detail().path("node").asText();
  }

  private synchronized void restart() throws Exception {
    if (killed) {
      ((Killable) env).restart(node());
      killed = false;
      rec.info("nemesis", "restart", plan.faults().get(0).detail());
    }
  }

  @Override
  public void healAll() throws Exception {
    if (thread != null) {
      thread.interrupt();
      thread.join();
      restart();
    }
  }
}
