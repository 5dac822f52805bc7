package io.deliverycheck.checker;

/**
 * The state {@code reordered} needs, per (sender, device) pair: the highest first-send invocation
 * index among the messages of that sender the device has received so far, and that message (the
 * witness an example names). Open addressing on a long key in one interleaved long array (key + 1,
 * highest index, witness: one probe touches one place), no object per pair; memory grows with the
 * pairs that occur (at most senders x roster devices), not with the run. 24 bytes per slot, 48 to
 * 96 bytes per pair at a load factor between 1/4 and 1/2.
 */
final class PairTable {
  private long[] t = new long[3 * 64]; // per slot: key + 1 (0 = empty), highest invoke index, witness
  private int mask = 63;
  private int size;

  static long key(int sender, int deviceSlot) {
    return (long) sender << 32 | (deviceSlot & 0xffffffffL);
  }

  /**
   * The slot of {@code key}, added (with no message yet: {@link #maxInvoke} -1) when the pair never
   * received anything. A slot stays valid until the next call.
   */
  int slot(long key) {
    long k = key + 1;
    int i = hash(key) & mask;
    for (long x; (x = t[3 * i]) != 0; i = (i + 1) & mask) {
      if (x == k) {
        return i;
      }
    }
    t[3 * i] = k;
    t[3 * i + 1] = -1;
    t[3 * i + 2] = -1;
    if (++size * 2 > mask + 1) {
      grow();
      for (i = hash(key) & mask; t[3 * i] != k; i = (i + 1) & mask) {
        // find it again in the grown table
      }
    }
    return i;
  }

  /** The highest first-invocation index among the pair's received messages, -1 for none. */
  long maxInvoke(int slot) {
    return t[3 * slot + 1];
  }

  /** The message holding {@link #maxInvoke}. */
  int witness(int slot) {
    return (int) t[3 * slot + 2];
  }

  /** Raises the slot's highest invocation index to {@code invoke} (message {@code msg}) if higher. */
  void raise(int slot, long invoke, int msg) {
    if (invoke > t[3 * slot + 1]) {
      t[3 * slot + 1] = invoke;
      t[3 * slot + 2] = msg;
    }
  }

  int size() {
    return size;
  }

  long bytes() {
    return 8L * t.length;
  }

  private void grow() {
    long[] old = t;
    int n = (mask + 1) * 2;
    t = new long[3 * n];
    mask = n - 1;
    for (int j = 0; j < old.length; j += 3) {
      if (old[j] != 0) {
        int i = hash(old[j] - 1) & mask;
        while (t[3 * i] != 0) {
          i = (i + 1) & mask;
        }
        t[3 * i] = old[j];
        t[3 * i + 1] = old[j + 1];
        t[3 * i + 2] = old[j + 2];
      }
    }
  }

  private static int hash(long key) {
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32));
  }
}
