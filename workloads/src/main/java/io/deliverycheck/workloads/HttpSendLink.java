package io.deliverycheck.workloads;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.OpType;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.concurrent.CompletionStage;

/**
 * A reference-node sender process's link: {@code POST /messages} on the process's Vert.x context,
 * attempt {@code a} of a message at node {@code (nodeChoice + a - 1) mod nodes}, the answer read per
 * Contract 2 ({@link Outcome#of}); a timeout ({@code requestTimeout}) or a lost connection is
 * {@code info}.
 */
final class HttpSendLink implements SendLink {
  private final Clients c;
  private final Context ctx;

  HttpSendLink(Clients c, Context ctx) {
    this.c = c;
    this.ctx = ctx;
  }

  @Override
  public void execute(Runnable task) {
    ctx.runOnContext(v -> task.run());
  }

  @Override
  public void schedule(long delayMs, Runnable task) {
    ctx.runOnContext(v -> c.vertx.setTimer(delayMs, t -> task.run()));
  }

  @Override
  public String node(PlannedSend m, int attempt) {
    return c.nodes.get((m.nodeChoice() + attempt - 1) % c.nodes.size());
  }

  /** POSTs the message; the stage never fails: errors become {@code info} outcomes. */
  @Override
  public CompletionStage<Outcome> send(String node, PlannedSend m, ObjectNode value, int attempt) {
    Promise<Outcome> p = Promise.promise();
    long timer = c.vertx.setTimer(c.timeoutMillis(),
        t -> p.tryComplete(new Outcome(OpType.INFO, "timeout after " + c.timeoutMillis() + " ms", null, true)));
    RequestOptions ro = new RequestOptions().setMethod(HttpMethod.POST)
        .setAbsoluteURI(c.url(node, "/messages"))
        .setConnectTimeout(c.timeoutMillis())
        .setIdleTimeout(c.timeoutMillis())
        .putHeader("Content-Type", "application/json");
    if (c.config.token() != null) {
      ro.putHeader("Authorization", "Bearer " + c.config.token());
    }
    c.http.request(ro)
        .compose(req -> req.send(value.toString()))
        .compose(resp -> resp.body().map(b -> Outcome.of(resp.statusCode(), b.toString())))
        .onComplete(ar -> {
          c.vertx.cancelTimer(timer);
          p.tryComplete(ar.succeeded() ? ar.result() : Outcome.indeterminate(ar.cause()));
        });
    return p.future().toCompletionStage();
  }
}
