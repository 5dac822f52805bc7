package io.deliverycheck.checker.report;

import java.util.ArrayList;
import java.util.List;

/**
 * Keeps at most {@code cap} of a stream of points, evenly spread and deterministic: it keeps
 * every {@code stride}-th offered point and doubles the stride (dropping every other kept point)
 * whenever the list would exceed the cap. Memory is O(cap) whatever the stream's length.
 */
final class Downsampler<T> {
  private final int cap;
  private final List<T> kept = new ArrayList<>();
  private long stride = 1;
  private long offered = 0;

  Downsampler(int cap) {
    if (cap < 2) throw new IllegalArgumentException("cap must be >= 2, was " + cap);
    this.cap = cap;
  }

  void offer(T point) {
    if (offered++ % stride != 0) return;
    kept.add(point);
    if (kept.size() > cap) {
      List<T> half = new ArrayList<>(cap / 2 + 1);
      for (int i = 0; i < kept.size(); i += 2) half.add(kept.get(i));
      kept.clear();
      kept.addAll(half);
      stride *= 2; // kept points are exactly the ordinals that are multiples of stride
    }
  }

  List<T> points() {
    return kept;
  }

  /** How many points were offered in all. */
  long offered() {
    return offered;
  }
}
