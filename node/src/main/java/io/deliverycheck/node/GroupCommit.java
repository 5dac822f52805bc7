package io.deliverycheck.node;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Group commit: requests that arrive while earlier batches are in flight are written together in one
 * statement (one transaction, one WAL flush). Each request's future completes only after the batch
 * holding it committed. When a batch fails with a PostgreSQL error (nothing committed), every request
 * is retried alone, so one bad request cannot fail the others; any other failure (connection lost,
 * FATAL error, no answer within {@link Node#STEP_TIMEOUT_S}: outcome unknown) fails the whole batch.
 * Confined to one Vert.x context.
 */
final class GroupCommit<I, O> {
  private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(GroupCommit.class.getName());
  private final int maxBatch;
  private final int maxInFlight;
  private final Function<List<I>, Future<List<O>>> batch;
  private final Function<I, Future<O>> single;
  private final ArrayDeque<I> items = new ArrayDeque<>();
  private final ArrayDeque<Promise<O>> promises = new ArrayDeque<>();
  private int inFlight;
  /** Batches written and requests in them (for the mean batch size). */
  final java.util.concurrent.atomic.LongAdder batches = new java.util.concurrent.atomic.LongAdder();
  final java.util.concurrent.atomic.LongAdder requests = new java.util.concurrent.atomic.LongAdder();

  GroupCommit(int maxBatch, int maxInFlight, Function<List<I>, Future<List<O>>> batch, Function<I, Future<O>> single) {
    this.maxBatch = maxBatch;
    this.maxInFlight = maxInFlight;
    this.batch = batch;
    this.single = single;
  }

  Future<O> submit(I item) {
    Promise<O> p = Promise.promise();
    items.add(item);
    promises.add(p);
    if (inFlight < maxInFlight) {
      flush();
    }
    return p.future();
  }

  private void flush() {
    if (items.isEmpty()) {
      return;
    }
    List<I> is = new ArrayList<>();
    List<Promise<O>> ps = new ArrayList<>();
    while (!items.isEmpty() && is.size() < maxBatch) {
      is.add(items.poll());
      ps.add(promises.poll());
    }
    inFlight++;
    batches.increment();
    requests.add(is.size());
    Future<List<O>> f = (is.size() == 1 ? single.apply(is.get(0)).map(List::of) : batch.apply(is))
        .timeout(Node.STEP_TIMEOUT_S, java.util.concurrent.TimeUnit.SECONDS);
    f.onComplete(ar -> {
      if (ar.succeeded()) {
        List<O> out = ar.result();
        for (int i = 0; i < ps.size(); i++) {
          ps.get(i).complete(out.get(i));
        }
      } else if (Store.notCommitted(ar.cause()) && is.size() > 1) {
        LOG.fine("batch of " + is.size() + " failed, retrying one by one: " + ar.cause().getMessage());
        for (int i = 0; i < is.size(); i++) {
          single.apply(is.get(i)).onComplete(ps.get(i));
        }
      } else {
        for (Promise<O> p : ps) {
          p.fail(ar.cause());
        }
      }
      inFlight--;
      flush();
    });
  }
}
