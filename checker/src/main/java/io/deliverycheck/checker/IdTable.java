package io.deliverycheck.checker;

import java.util.Arrays;

/**
 * Interns strings into dense ints 0, 1, 2, ... without keeping a String object per entry: the
 * characters of every entry live in one char array, found through an open-addressing table. It
 * interns straight from a parser's character buffer, so looking up a known id allocates nothing.
 * Memory per entry: 2 bytes per character + 4 (start) + 4 (hash) + about 10.7 (table slots at a
 * load factor between 1/4 and 1/2), plus the slack of array doubling.
 */
final class IdTable {
  private int[] slots = new int[16]; // entry + 1, 0 = empty
  private int mask = 15;
  private int[] hashes = new int[8];
  private int[] starts = new int[9];
  private char[] chars = new char[64];
  private int size;

  int size() {
    return size;
  }

  /** The id of the string in {@code buf[off, off+len)}, adding it when new. */
  int intern(char[] buf, int off, int len) {
    int h = hash(buf, off, len);
    int i = h & mask;
    for (int s; (s = slots[i]) != 0; i = (i + 1) & mask) {
      int id = s - 1;
      if (hashes[id] == h && equal(id, buf, off, len)) {
        return id;
      }
    }
    return add(buf, off, len, h, i);
  }

  /**
   * The id of the ASCII string in {@code buf[off, off+len)} (one byte per character), adding it
   * when new: the same id {@link #intern(char[], int, int)} gives the same characters.
   */
  int intern(byte[] buf, int off, int len) {
    int h = 0;
    for (int k = off, end = off + len; k < end; k++) {
      h = 31 * h + buf[k];
    }
    h *= 0x9E3779B9;
    h ^= h >>> 16;
    int i = h & mask;
    for (int s; (s = slots[i]) != 0; i = (i + 1) & mask) {
      int id = s - 1;
      if (hashes[id] == h && equal(id, buf, off, len)) {
        return id;
      }
    }
    char[] cs = new char[len]; // new entries only
    for (int k = 0; k < len; k++) {
      cs[k] = (char) buf[off + k];
    }
    return add(cs, 0, len, h, i);
  }

  private boolean equal(int id, byte[] buf, int off, int len) {
    int st = starts[id];
    if (starts[id + 1] - st != len) {
      return false;
    }
    for (int k = 0; k < len; k++) {
      if (chars[st + k] != buf[off + k]) {
        return false;
      }
    }
    return true;
  }

  int intern(String s) {
    return intern(s.toCharArray(), 0, s.length());
  }

  /** The id of {@code s}, or -1 when it was never interned. */
  int find(String s) {
    char[] buf = s.toCharArray();
    int h = hash(buf, 0, buf.length);
    for (int i = h & mask, e; (e = slots[i]) != 0; i = (i + 1) & mask) {
      if (hashes[e - 1] == h && equal(e - 1, buf, 0, buf.length)) {
        return e - 1;
      }
    }
    return -1;
  }

  String name(int id) {
    return new String(chars, starts[id], starts[id + 1] - starts[id]);
  }

  /** Bytes held by the arrays (capacity, not just what is used). */
  long bytes() {
    return 4L * slots.length + 4L * hashes.length + 4L * starts.length + 2L * chars.length;
  }

  private boolean equal(int id, char[] buf, int off, int len) {
    int st = starts[id];
    if (starts[id + 1] - st != len) {
      return false;
    }
    for (int k = 0; k < len; k++) {
      if (chars[st + k] != buf[off + k]) {
        return false;
      }
    }
    return true;
  }

  private int add(char[] buf, int off, int len, int h, int slot) {
    int id = size++;
    if (id == hashes.length) {
      hashes = Arrays.copyOf(hashes, id * 2);
      starts = Arrays.copyOf(starts, id * 2 + 1);
    }
    int st = starts[id];
    if (st + len > chars.length) {
      chars = Arrays.copyOf(chars, Math.max(chars.length * 2, st + len));
    }
    System.arraycopy(buf, off, chars, st, len);
    starts[id + 1] = st + len;
    hashes[id] = h;
    slots[slot] = id + 1;
    if (size * 2 > slots.length) {
      rehash();
    }
    return id;
  }

  private void rehash() {
    int[] n = new int[slots.length * 2];
    int m = n.length - 1;
    for (int id = 0; id < size; id++) {
      int i = hashes[id] & m;
      while (n[i] != 0) {
        i = (i + 1) & m;
      }
      n[i] = id + 1;
    }
    slots = n;
    mask = m;
  }

  private static int hash(char[] buf, int off, int len) {
    int h = 0;
    for (int k = off, end = off + len; k < end; k++) {
      h = 31 * h + buf[k];
    }
    h *= 0x9E3779B9;
    return h ^ (h >>> 16);
  }
}
