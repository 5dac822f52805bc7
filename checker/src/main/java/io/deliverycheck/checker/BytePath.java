package io.deliverycheck.checker;

import static io.deliverycheck.checker.DeliveryChecker.ACK;
import static io.deliverycheck.checker.DeliveryChecker.DRAINED;
import static io.deliverycheck.checker.DeliveryChecker.ERROR;
import static io.deliverycheck.checker.DeliveryChecker.NEMESIS;
import static io.deliverycheck.checker.DeliveryChecker.READ;
import static io.deliverycheck.checker.DeliveryChecker.RECEIPT;
import static io.deliverycheck.checker.DeliveryChecker.RECEIVE;
import static io.deliverycheck.checker.DeliveryChecker.ROSTER;
import static io.deliverycheck.checker.DeliveryChecker.SEND;
import static io.deliverycheck.checker.DeliveryChecker.SYSTEM;

import io.deliverycheck.checker.history.HistoryFormatException;
import io.deliverycheck.checker.history.LineScanner;
import io.deliverycheck.checker.history.OpType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The file reader of {@link DeliveryChecker#check(Path, Guarantee)}: a byte-level scanner for the
 * lines the harness writes, which hands every line it does not fully understand to the Jackson
 * path ({@link FastPath}), so that it accepts and rejects exactly what that path does, with the
 * same messages on the same lines.
 *
 * <p>The scanner takes a line only when it is certain: one compact JSON object (no whitespace),
 * keys and strings in printable ASCII without escapes, integers without sign, fraction or
 * exponent, every field of the right type, no key given twice, the index the next one, followed
 * by the line's newline (or the end of the file). It interns and judges nothing until the whole
 * line has passed. Anything else goes to Jackson:
 *
 * <ul>
 *   <li>a line that starts with {@code {} and holds no control character (but tab) is parsed
 *       alone by a parser over its bytes; when that parser reads the op without an error and
 *       finds nothing after it, the op is judged as the Jackson path judges it (a roster, a
 *       system op, a value with escapes or in another key order, ...);
 *   <li>otherwise (an error of any kind, an empty line, a carriage return, a byte-order mark,
 *       an unreadable or truncated stream) the Jackson path reads the rest of the file from the
 *       start of that line, with the line numbers and the index sequence carried over, and
 *       reports the error as it always has. That happens at most once, and only on a file that
 *       is rejected or unusual.
 * </ul>
 *
 * The values of {@code send} invocations, {@code receive} and {@code receipt} are scanned into
 * positions; the others (send completions, acks, reads, nemesis faults, unknown fields) are
 * validated as strict JSON and skipped. Memory: one buffer of 1 MB (more for a longer line).
 */
final class BytePath {
  private static final int REFILL_AT = 1 << 16;

  private final DeliveryChecker c;
  private final Path file;
  private final InputStream in;
  private final FastPath jackson;
  private byte[] buf = new byte[(1 << 20) + 1];
  private int pos;
  private int lim; // buf[lim] is always 0: a sentinel every scanning step stops at
  private boolean eof;
  private IOException failure; // what the stream threw after the bytes in the buffer
  private long line; // lines done
  private long nextIndex;
  /** Lines judged by the scanner, by a parser over the line alone, and whether the rest went to Jackson. */
  long scanned;
  long lineParsed;
  boolean handedOver;

  // the op being scanned (positions in buf)
  private long index;
  private long time;
  private long num;
  private int procOff;
  private int procLen;
  private int type;
  private int f; // an operation id, -2 for a name to intern, -1 not seen
  private int fOff;
  private int fLen;
  private int errOff;
  private int errLen; // -1 when no error string
  private boolean tokens;
  // its value
  private int idOff;
  private int idLen;
  private int rOff;
  private int rLen;
  private int dOff;
  private int dLen; // -1: no device
  private int state;
  private int keyOff;
  private int keyLen; // -1: no key
  private int fromOff;
  private int fromLen; // -1: no from
  private boolean fromFirst;
  private int[] toOff = new int[16];
  private int[] toLen = new int[16];
  private int nTo;
  private char[] key = new char[64];

  private static final OpType[] TYPES = OpType.values();

  BytePath(DeliveryChecker c, Path file, InputStream in) {
    this.c = c;
    this.file = file;
    this.in = in;
    this.jackson = new FastPath(c, null);
  }

  // ---- two threads: one reads and scans, the other (the caller) interns and judges -----------

  /** Bytes of the file, in order and gap-free across batches, with the ops scanned from them. */
  private static final class Batch {
    byte[] buf = new byte[1 << 16];
    int lim; // bytes [0, lim) of the file's next bytes
    int[] ints = new int[1 << 12];
    int ni;
    long[] longs = new long[1 << 10];
    int nl;
    int n; // entries: a scanned op, or a line for Jackson
    boolean last; // the scanning thread stopped after this batch
    boolean eof;
    IOException failure;
    int restPos; // in the last batch: where the bytes nobody scanned start
    Throwable crash;

    void reset() {
      lim = 0;
      ni = 0;
      nl = 0;
      n = 0;
      last = false;
      eof = false;
      failure = null;
      restPos = 0;
      crash = null;
    }

    void bytes(byte[] from, int start, int end) {
      int len = end - start;
      if (len > buf.length) {
        buf = new byte[Math.max(len, buf.length * 2)];
      }
      System.arraycopy(from, start, buf, 0, len);
      lim = len;
    }

    void ints(int need) {
      if (ni + need > ints.length) {
        ints = Arrays.copyOf(ints, Math.max(ints.length * 2, ni + need));
      }
    }

    void longs() {
      if (nl + 2 > longs.length) {
        longs = Arrays.copyOf(longs, longs.length * 2);
      }
    }
  }

  private static final int OP = 0;
  private static final int RAW = 1;
  private static final class Stop extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Stop() {
      super(null, null, false, false);
    }
  }

  // on the scanning thread's instance
  private java.util.concurrent.BlockingQueue<Batch> batches;
  private java.util.concurrent.BlockingQueue<Batch> free;
  private Batch batch;
  private int batchStart;
  private volatile boolean stop;

  /** Reads and judges the whole file with a second thread that reads and scans while this one judges. */
  void runThreaded() throws HistoryFormatException, IOException {
    BytePath a = new BytePath(null, file, in);
    a.batches = new java.util.concurrent.ArrayBlockingQueue<>(4);
    a.free = new java.util.concurrent.ArrayBlockingQueue<>(8);
    Thread t = new Thread(a::produce, "deliverycheck-scan");
    t.setDaemon(true);
    t.start();
    try {
      consume(a);
    } finally {
      a.stop = true;
      a.batches.clear(); // lets a blocked put go on (the thread then sees stop)
      try {
        t.join(60_000);
        while (t.isAlive()) {
          a.batches.clear();
          t.join(1000);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The scanning thread: the loop of {@link #run()} with the judging left out. */
  private void produce() {
    batch = new Batch();
    try {
      for (;;) {
        if (stop) {
          emitLast();
          return;
        }
        if (lim - pos < REFILL_AT && !eof && failure == null) {
          fill();
        }
        if (pos >= lim) {
          if (eof || failure != null) {
            emitLast();
            return;
          }
          continue;
        }
        int e = scanLine(pos);
        if (e < 0) {
          int end = lineEnd();
          if (end < 0) {
            emitLast();
            return;
          }
          e = scanLine(pos);
          if (e < 0) {
            batch.ints(3);
            batch.ints[batch.ni++] = RAW;
            batch.ints[batch.ni++] = pos - batchStart;
            batch.ints[batch.ni++] = end - batchStart;
            batch.n++;
            nextIndex++; // as if Jackson takes it; when it does not, the rest is read again anyway
            pos = end < lim ? end + 1 : lim;
            continue;
          }
        }
        record();
        nextIndex++;
        pos = e < lim ? e + 1 : lim;
      }
    } catch (Stop e) {
      // the judging thread no longer reads
    } catch (Throwable x) {
      Batch b = new Batch();
      b.last = true;
      b.crash = x;
      batches.offer(b);
    }
  }

  private void record() {
    Batch b = batch;
    int d = batchStart;
    b.ints(24 + 2 * nTo);
    int[] v = b.ints;
    int i = b.ni;
    v[i++] = OP;
    v[i++] = procOff - d;
    v[i++] = procLen;
    v[i++] = f;
    v[i++] = fOff - d;
    v[i++] = fLen;
    v[i++] = type;
    v[i++] = errOff - d;
    v[i++] = errLen;
    v[i++] = tokens ? 1 : 0;
    if (tokens) {
      v[i++] = idOff - d;
      v[i++] = idLen;
      v[i++] = rOff - d;
      v[i++] = rLen;
      v[i++] = dOff - d;
      v[i++] = dLen;
      v[i++] = state;
      v[i++] = keyOff - d;
      v[i++] = keyLen;
      v[i++] = fromOff - d;
      v[i++] = fromLen;
      v[i++] = fromFirst ? 1 : 0;
      v[i++] = nTo;
      for (int k = 0; k < nTo; k++) {
        v[i++] = toOff[k] - d;
        v[i++] = toLen[k];
      }
    }
    b.ni = i;
    b.longs();
    b.longs[b.nl++] = index;
    b.longs[b.nl++] = time;
    b.n++;
  }

  /** Hands on the bytes before pos (whole lines) and their entries. */
  private void emit() {
    if (pos > batchStart) {
      batch.bytes(buf, batchStart, pos);
      put(batch);
      Batch next = free.poll();
      if (next == null) {
        next = new Batch();
      }
      next.reset();
      batch = next;
    }
    batchStart = pos;
    if (stop) {
      emitLast();
      throw new Stop();
    }
  }

  private void emitLast() {
    batch.bytes(buf, batchStart, lim);
    batch.restPos = pos - batchStart;
    batch.last = true;
    batch.eof = eof;
    batch.failure = failure;
    put(batch);
  }

  private void put(Batch b) {
    try {
      while (!batches.offer(b, 100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
        if (stop && b.last) {
          return; // nobody takes it: the judging thread has finished
        }
      }
    } catch (InterruptedException e) {
      throw new Stop();
    }
  }

  /** The judging thread: the entries of every batch in order, then what the last batch left. */
  private void consume(BytePath a) throws HistoryFormatException, IOException {
    for (;;) {
      Batch bt = take(a);
      if (bt.crash != null) {
        throw new IllegalStateException("the scanning thread failed: " + bt.crash, bt.crash);
      }
      buf = bt.buf;
      lim = bt.lim;
      int[] v = bt.ints;
      int i = 0;
      int li = 0;
      for (int k = 0; k < bt.n; k++) {
        if (v[i++] == RAW) {
          pos = v[i++];
          int end = v[i++];
          if (!alone(end)) {
            handOverFrom(a, bt, pos);
            return;
          }
          lineParsed++;
          line++;
          continue;
        }
        procOff = v[i++];
        procLen = v[i++];
        f = v[i++];
        fOff = v[i++];
        fLen = v[i++];
        type = v[i++];
        errOff = v[i++];
        errLen = v[i++];
        tokens = v[i++] != 0;
        if (tokens) {
          idOff = v[i++];
          idLen = v[i++];
          rOff = v[i++];
          rLen = v[i++];
          dOff = v[i++];
          dLen = v[i++];
          state = v[i++];
          keyOff = v[i++];
          keyLen = v[i++];
          fromOff = v[i++];
          fromLen = v[i++];
          fromFirst = v[i++] != 0;
          nTo = v[i++];
          if (nTo > toOff.length) {
            toOff = new int[nTo];
            toLen = new int[nTo];
          }
          for (int x = 0; x < nTo; x++) {
            toOff[x] = v[i++];
            toLen[x] = v[i++];
          }
        }
        index = bt.longs[li++];
        time = bt.longs[li++];
        commit();
        scanned++;
        line++;
      }
      if (bt.last) {
        if (bt.restPos < bt.lim || bt.failure != null) {
          handOverFrom(a, bt, bt.restPos);
        }
        return;
      }
      a.free.offer(bt);
    }
  }

  private static Batch take(BytePath a) throws IOException {
    try {
      return a.batches.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while checking");
    }
  }

  /** The Jackson path reads the rest of the file from {@code start} in {@code bt}: its bytes, every later batch's, then the stream. */
  private void handOverFrom(BytePath a, Batch bt, int start) throws HistoryFormatException, IOException {
    handedOver = true;
    a.stop = true;
    java.util.List<InputStream> parts = new java.util.ArrayList<>();
    Batch x = bt;
    while (!x.last) {
      x = take(a);
      if (x.crash != null) {
        throw new IllegalStateException("the scanning thread failed: " + x.crash, x.crash);
      }
      parts.add(new ByteArrayInputStream(x.buf, 0, x.lim));
    }
    parts.add(x.failure != null ? new Failing(x.failure) : x.eof ? InputStream.nullInputStream() : in);
    InputStream rest = new SequenceInputStream(java.util.Collections.enumeration(parts));
    LineScanner s;
    if (line == 0) {
      s = LineScanner.fromStart(file, new SequenceInputStream(new ByteArrayInputStream(bt.buf, start, bt.lim - start),
          rest));
    } else {
      s = LineScanner.resume(file, bt.buf, start, bt.lim, rest, line, nextIndex);
    }
    try (LineScanner r = s) {
      jackson.use(r);
      jackson.run();
    }
  }

  /** Reads the whole file into the checker, on this thread alone. */
  void run() throws HistoryFormatException {
    for (;;) {
      if (lim - pos < REFILL_AT && !eof && failure == null) {
        fill();
      }
      if (pos >= lim) {
        if (eof) {
          return;
        }
        if (failure != null) {
          handOver();
          return;
        }
        continue;
      }
      int e = scanLine(pos);
      if (e < 0) {
        int end = lineEnd();
        if (end < 0) {
          handOver(); // the stream failed before the line's end
          return;
        }
        e = scanLine(pos); // the whole line is in the buffer now
        if (e < 0) {
          if (!alone(end)) {
            handOver();
            return;
          }
          lineParsed++;
          line++;
          pos = end < lim ? end + 1 : lim;
          continue;
        }
      }
      commit();
      scanned++;
      line++;
      pos = e < lim ? e + 1 : lim;
    }
  }

  // ---- reading -------------------------------------------------------------------------------

  /** Moves the unread bytes to the front and reads until at least REFILL_AT bytes are buffered (or the end). */
  private void fill() {
    compact();
    while (lim - pos < REFILL_AT && !eof && failure == null) {
      readOnce();
    }
  }

  /** The end of the line at {@code pos} (its newline, or the end of the file), reading more as needed; -1 when the stream fails first. */
  private int lineEnd() {
    int i = pos;
    for (;;) {
      for (; i < lim; i++) {
        if (buf[i] == '\n') {
          return i;
        }
      }
      if (eof) {
        return lim;
      }
      if (failure != null) {
        return -1;
      }
      int off = i - pos;
      compact();
      readOnce();
      i = pos + off;
    }
  }

  private void compact() {
    if (batches != null) {
      emit(); // the scanning thread hands on the lines before pos before the buffer moves
    }
    if (pos > 0) {
      System.arraycopy(buf, pos, buf, 0, lim - pos);
      lim -= pos;
      pos = 0;
      batchStart = 0;
    }
  }

  /** One read into the buffer (grown when full); keeps the sentinel. */
  private void readOnce() {
    if (lim == buf.length - 1) {
      buf = Arrays.copyOf(buf, buf.length * 2); // a line longer than the buffer
    }
    try {
      int n = in.read(buf, lim, buf.length - 1 - lim);
      if (n < 0) {
        eof = true;
      } else {
        lim += n;
      }
    } catch (IOException e) {
      failure = e;
    }
    buf[lim] = 0;
  }

  /**
   * Judges the line {@code buf[pos, end)} with a Jackson parser over it alone.
   *
   * @return false when the line must go to the Jackson path with the rest of the file
   */
  private boolean alone(int end) throws HistoryFormatException {
    if (end == pos || buf[pos] != '{') {
      return false; // an empty line, a byte-order mark, ...: the file's own reader says what is wrong
    }
    for (int i = pos; i < end; i++) {
      byte x = buf[i];
      if (x >= 0 && x < 0x20 && x != '\t') {
        return false; // a carriage return (a line break to Jackson), a NUL, ...
      }
    }
    LineScanner one = LineScanner.forLine(file, buf, pos, end - pos, line + 1, nextIndex);
    jackson.use(one);
    try {
      one.advance();
      jackson.parse();
    } catch (HistoryFormatException e) {
      return false;
    }
    if (!one.atEnd()) {
      return false;
    }
    jackson.apply();
    nextIndex = one.nextIndex();
    return true;
  }

  /** The Jackson path reads the rest of the file, from the start of the current line. */
  private void handOver() throws HistoryFormatException {
    handedOver = true;
    IOException failed = failure;
    InputStream rest = failed != null ? new Failing(failed) : eof ? InputStream.nullInputStream() : in;
    LineScanner s;
    if (line == 0) { // from the first byte, as the Jackson path reads a file (encoding detection too)
      s = LineScanner.fromStart(file, new SequenceInputStream(new ByteArrayInputStream(buf, pos, lim - pos), rest));
    } else {
      s = LineScanner.resume(file, buf, pos, lim, rest, line, nextIndex);
    }
    try (LineScanner r = s) {
      jackson.use(r);
      jackson.run();
    } catch (IOException e) {
      // closing a stream that was read to its end: nothing left to report
    }
  }

  /** A stream that throws what the file's stream threw, where it threw it. */
  private static final class Failing extends InputStream {
    private final IOException e;

    Failing(IOException e) {
      this.e = e;
    }

    @Override
    public int read() throws IOException {
      throw e;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      throw e;
    }
  }

  // ---- scanning one line ----------------------------------------------------------------------

  private static final int F_INDEX = 1;
  private static final int F_TIME = 2;
  private static final int F_PROCESS = 4;
  private static final int F_TYPE = 8;
  private static final int F_F = 16;
  private static final int F_VALUE = 32;
  private static final int F_NODE = 64;
  private static final int F_ERROR = 128;
  private static final int F_REQUIRED = 63;

  /**
   * Scans the op at {@code p}, which must be the start of a line.
   *
   * @return the position of the line's newline (or of the end of the file), or -1 when the line
   *     is not one the scanner takes (or not all of it is in the buffer)
   */
  private int scanLine(int p) {
    final byte[] b = buf;
    if (b[p] != '{') {
      return -1;
    }
    p++;
    int seen = 0;
    f = -1;
    type = -1;
    errLen = -1;
    tokens = false;
    for (;;) {
      int ks = p + 1;
      p = string(b, p);
      if (p < 0) {
        return -1;
      }
      int bit = topKey(b, ks, p - 1 - ks);
      if (b[p] != ':') {
        return -1;
      }
      p++;
      if (bit != 0) {
        if ((seen & bit) != 0) {
          return -1;
        }
        seen |= bit;
      }
      switch (bit) {
        case F_INDEX:
          p = natural(b, p);
          index = num;
          break;
        case F_TIME:
          p = natural(b, p);
          time = num;
          break;
        case F_PROCESS:
          procOff = p + 1;
          p = string(b, p);
          procLen = p - 1 - procOff;
          break;
        case F_TYPE: {
          int o = p + 1;
          p = string(b, p);
          if (p >= 0 && (type = type(b, o, p - 1 - o)) < 0) {
            return -1;
          }
          break;
        }
        case F_F:
          fOff = p + 1;
          p = string(b, p);
          if (p >= 0) {
            fLen = p - 1 - fOff;
            f = knownF(b, fOff, fLen);
          }
          break;
        case F_VALUE:
          if (b[p] != '{') {
            return -1;
          }
          if (f == RECEIVE || f == RECEIPT || f == SEND && type == OpType.INVOKE.ordinal()) {
            p = value(b, p, f);
            tokens = true;
          } else if (f != -1 && f != ROSTER && f != SYSTEM && f != ERROR && f != DRAINED
              && (f != SEND || type >= 0)) {
            p = skip(b, p, 0); // not needed to judge delivery
          } else {
            return -1; // a harness op, or not known yet what the op is: read as a tree
          }
          break;
        case F_NODE:
          p = nullOrString(b, p);
          break;
        case F_ERROR:
          if (b[p] == '"') {
            errOff = p + 1;
            p = string(b, p);
            errLen = p - 1 - errOff;
          } else {
            p = nullOrString(b, p);
          }
          break;
        default:
          p = skip(b, p, 0);
          break;
      }
      if (p < 0) {
        return -1;
      }
      byte x = b[p];
      if (x == ',') {
        p++;
      } else if (x == '}') {
        p++;
        break;
      } else {
        return -1;
      }
    }
    if (p < lim ? b[p] != '\n' : !eof) {
      return -1;
    }
    if (seen != (seen | F_REQUIRED) || index != nextIndex) {
      return -1;
    }
    return p;
  }

  private static int topKey(byte[] b, int o, int n) {
    switch (n) {
      case 1: return b[o] == 'f' ? F_F : 0;
      case 4:
        if (b[o] == 't') {
          return b[o + 1] == 'i' && b[o + 2] == 'm' && b[o + 3] == 'e' ? F_TIME
              : b[o + 1] == 'y' && b[o + 2] == 'p' && b[o + 3] == 'e' ? F_TYPE : 0;
        }
        return b[o] == 'n' && b[o + 1] == 'o' && b[o + 2] == 'd' && b[o + 3] == 'e' ? F_NODE : 0;
      case 5:
        if (b[o] == 'i') {
          return b[o + 1] == 'n' && b[o + 2] == 'd' && b[o + 3] == 'e' && b[o + 4] == 'x' ? F_INDEX : 0;
        }
        if (b[o] == 'v') {
          return b[o + 1] == 'a' && b[o + 2] == 'l' && b[o + 3] == 'u' && b[o + 4] == 'e' ? F_VALUE : 0;
        }
        return b[o] == 'e' && b[o + 1] == 'r' && b[o + 2] == 'r' && b[o + 3] == 'o' && b[o + 4] == 'r' ? F_ERROR : 0;
      case 7:
        return eq(b, o, "process") ? F_PROCESS : 0;
      default: return 0;
    }
  }

  private static boolean eq(byte[] b, int o, String s) {
    for (int k = 0; k < s.length(); k++) {
      if (b[o + k] != s.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  private static int type(byte[] b, int o, int n) {
    switch (n) {
      case 2: return b[o] == 'o' && b[o + 1] == 'k' ? OpType.OK.ordinal() : -1;
      case 4:
        return eq(b, o, "info") ? OpType.INFO.ordinal() : eq(b, o, "fail") ? OpType.FAIL.ordinal() : -1;
      case 6: return eq(b, o, "invoke") ? OpType.INVOKE.ordinal() : -1;
      default: return -1;
    }
  }

  private static final String[] NAMES = {"send", "receive", "ack", "read", "receipt", "roster", "drained", "system",
      "error"};

  /** The id of an operation name the checker knows, or -2 for another name (interned when the line is taken). */
  private static int knownF(byte[] b, int o, int n) {
    switch (n) {
      case 3: return b[o] == 'a' && b[o + 1] == 'c' && b[o + 2] == 'k' ? ACK : -2;
      case 4:
        return eq(b, o, "send") ? SEND : eq(b, o, "read") ? READ : -2;
      case 7:
        if (eq(b, o, "recei")) {
          return b[o + 5] == 'v' && b[o + 6] == 'e' ? RECEIVE : b[o + 5] == 'p' && b[o + 6] == 't' ? RECEIPT : -2;
        }
        return eq(b, o, "drained") ? DRAINED : -2;
      case 5: return eq(b, o, "error") ? ERROR : -2;
      case 6: return eq(b, o, "roster") ? ROSTER : eq(b, o, "system") ? SYSTEM : -2;
      default: return -2;
    }
  }

  /** A non-negative integer of at most 18 digits into {@link #num}: the position after it, or -1. */
  private int natural(byte[] b, int p) {
    int d = b[p] - '0';
    if (d < 0 || d > 9) {
      return -1;
    }
    long v = d;
    int start = p++;
    if (d == 0) {
      d = b[p] - '0';
      if (d >= 0 && d <= 9) {
        return -1; // a leading zero: Jackson's message
      }
    } else {
      while ((d = b[p] - '0') >= 0 && d <= 9) {
        v = v * 10 + d;
        p++;
      }
      if (p - start > 18) {
        return -1;
      }
    }
    byte x = b[p];
    if (x != ',' && x != '}') {
      return -1; // a fraction, an exponent, ...
    }
    num = v;
    return p;
  }

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;

  /**
   * A string at {@code p} (its opening quote) in printable ASCII without escapes: the position after
   * its closing quote, or -1. Eight bytes at a time: a word's zero-byte test flags every real quote,
   * backslash, control byte, DEL or non-ASCII byte (and at most some false ones after a real one),
   * so the first flagged quote with nothing flagged before it is the string's end; any other word is
   * read byte by byte, which decides.
   */
  private static int string(byte[] b, int p) {
    if (b[p] != '"') {
      return -1;
    }
    p++;
    while (p + 8 <= b.length) {
      long w = (long) LONGS.get(b, p);
      long q = w ^ 0x2222222222222222L;
      long quote = (q - ONES) & ~q & HIGHS;
      long bs = w ^ 0x5C5C5C5C5C5C5C5CL;
      long del = w ^ 0x7F7F7F7F7F7F7F7FL;
      long other = ((bs - ONES) & ~bs | (del - ONES) & ~del | (w - 0x2020202020202020L) & ~w | w) & HIGHS;
      if (quote != 0) {
        long below = Long.lowestOneBit(quote) - 1;
        if ((other & below) == 0) {
          return p + (Long.numberOfTrailingZeros(quote) >>> 3) + 1;
        }
        break;
      }
      if (other != 0) {
        break;
      }
      p += 8;
    }
    for (byte x; (x = b[p]) != '"'; p++) {
      if (x < 0x20 || x == '\\' || x == 0x7f) {
        return -1;
      }
    }
    return p + 1;
  }

  private static int nullOrString(byte[] b, int p) {
    if (b[p] == 'n') {
      return b[p + 1] == 'u' && b[p + 2] == 'l' && b[p + 3] == 'l' ? p + 4 : -1;
    }
    return string(b, p);
  }

  /**
   * Validates and skips one JSON value at {@code p} (compact, strings as in {@link #string}),
   * as strictly as Jackson reads it: the position after it, or -1.
   */
  private static int skip(byte[] b, int p, int depth) {
    if (depth > 64) {
      return -1;
    }
    switch (b[p]) {
      case '"': return string(b, p);
      case '{': {
        p++;
        if (b[p] == '}') {
          return p + 1;
        }
        for (;;) {
          p = string(b, p);
          if (p < 0 || b[p] != ':') {
            return -1;
          }
          p = skip(b, p + 1, depth + 1);
          if (p < 0) {
            return -1;
          }
          if (b[p] == ',') {
            p++;
          } else if (b[p] == '}') {
            return p + 1;
          } else {
            return -1;
          }
        }
      }
      case '[': {
        p++;
        if (b[p] == ']') {
          return p + 1;
        }
        for (;;) {
          p = skip(b, p, depth + 1);
          if (p < 0) {
            return -1;
          }
          if (b[p] == ',') {
            p++;
          } else if (b[p] == ']') {
            return p + 1;
          } else {
            return -1;
          }
        }
      }
      case 't': return b[p + 1] == 'r' && b[p + 2] == 'u' && b[p + 3] == 'e' && end(b[p + 4]) ? p + 4 : -1;
      case 'f':
        return b[p + 1] == 'a' && b[p + 2] == 'l' && b[p + 3] == 's' && b[p + 4] == 'e' && end(b[p + 5]) ? p + 5 : -1;
      case 'n': return b[p + 1] == 'u' && b[p + 2] == 'l' && b[p + 3] == 'l' && end(b[p + 4]) ? p + 4 : -1;
      default: return number(b, p, false);
    }
  }

  private static boolean end(byte x) {
    return x == ',' || x == '}' || x == ']';
  }

  private static boolean digit(byte x) {
    return x >= '0' && x <= '9';
  }

  /**
   * A JSON number at {@code p} ({@code -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?}, at most 100
   * characters; only an integer when {@code integer}), followed by , } or ]: the position after it, or -1.
   */
  private static int number(byte[] b, int p, boolean integer) {
    int start = p;
    if (b[p] == '-') {
      p++;
    }
    if (b[p] == '0') {
      p++;
    } else if (b[p] >= '1' && b[p] <= '9') {
      while (digit(b[++p])) {
        // digits
      }
    } else {
      return -1;
    }
    if (!integer) {
      if (b[p] == '.') {
        if (!digit(b[++p])) {
          return -1;
        }
        while (digit(b[++p])) {
          // digits
        }
      }
      if (b[p] == 'e' || b[p] == 'E') {
        p++;
        if (b[p] == '+' || b[p] == '-') {
          p++;
        }
        if (!digit(b[p])) {
          return -1;
        }
        while (digit(b[++p])) {
          // digits
        }
      }
    }
    return end(b[p]) && p - start <= 100 ? p : -1;
  }

  private static final int V_ID = 1;
  private static final int V_RECIPIENT = 2;
  private static final int V_DEVICE = 4;
  private static final int V_STATE = 8;
  private static final int V_TO = 16;
  private static final int V_KEY = 32;
  private static final int V_FROM = 64;
  private static final int V_ATTEMPT = 128;

  /** Scans a send, receive or receipt value at {@code p} (its {@code {}), as FastPath.scanValue reads it. */
  private int value(byte[] b, int p, int f) {
    int seen = 0;
    dLen = -1;
    keyLen = -1;
    fromLen = -1;
    fromFirst = false;
    nTo = 0;
    p++;
    if (b[p] == '}') {
      p++;
    } else {
      for (;;) {
        int ks = p + 1;
        p = string(b, p);
        if (p < 0) {
          return -1;
        }
        int bit = valueKey(b, ks, p - 1 - ks);
        if (b[p] != ':') {
          return -1;
        }
        p++;
        if ((seen & bit) != 0) {
          return -1;
        }
        seen |= bit;
        switch (bit) {
          case V_ID:
            idOff = p + 1;
            p = string(b, p);
            idLen = p - 1 - idOff;
            break;
          case V_RECIPIENT:
            if (f == SEND) {
              p = skip(b, p, 0);
            } else {
              rOff = p + 1;
              p = string(b, p);
              rLen = p - 1 - rOff;
            }
            break;
          case V_DEVICE:
            if (f == SEND) {
              p = skip(b, p, 0);
            } else if (f == RECEIPT && b[p] == 'n') {
              p = nullOrString(b, p);
            } else {
              dOff = p + 1;
              p = string(b, p);
              dLen = p - 1 - dOff;
            }
            break;
          case V_STATE:
            if (f != RECEIPT) {
              p = skip(b, p, 0);
            } else {
              int o = p + 1;
              p = string(b, p);
              if (p >= 0 && (state = state(b, o, p - 1 - o)) < 0) {
                return -1;
              }
            }
            break;
          case V_TO:
            if (f != SEND) {
              p = skip(b, p, 0);
            } else {
              p = to(b, p);
            }
            break;
          case V_KEY:
            if (f != SEND) {
              p = skip(b, p, 0);
            } else {
              keyOff = p + 1;
              p = string(b, p);
              keyLen = p - 1 - keyOff;
            }
            break;
          case V_FROM:
            if (f != SEND) {
              p = skip(b, p, 0);
            } else {
              fromFirst = (seen & V_TO) == 0;
              fromOff = p + 1;
              p = string(b, p);
              fromLen = p - 1 - fromOff;
            }
            break;
          case V_ATTEMPT:
            p = f == SEND ? number(b, p, true) : skip(b, p, 0);
            break;
          default:
            p = skip(b, p, 0);
            break;
        }
        if (p < 0) {
          return -1;
        }
        if (b[p] == ',') {
          p++;
        } else if (b[p] == '}') {
          p++;
          break;
        } else {
          return -1;
        }
      }
    }
    if ((seen & V_ID) == 0) {
      return -1;
    }
    if (f == SEND) {
      return (seen & V_TO) != 0 ? p : -1;
    }
    if ((seen & V_RECIPIENT) == 0) {
      return -1;
    }
    return (seen & (f == RECEIVE ? V_DEVICE : V_STATE)) != 0 ? p : -1;
  }

  /** A value key's bit, 0 for a key the checker does not read (which may repeat, as Jackson lets it). */
  private static int valueKey(byte[] b, int o, int n) {
    switch (n) {
      case 2: return b[o] == 'i' && b[o + 1] == 'd' ? V_ID : b[o] == 't' && b[o + 1] == 'o' ? V_TO : 0;
      case 3: return eq(b, o, "key") ? V_KEY : 0;
      case 4: return eq(b, o, "from") ? V_FROM : 0;
      case 5: return eq(b, o, "state") ? V_STATE : 0;
      case 6: return eq(b, o, "device") ? V_DEVICE : 0;
      case 7: return eq(b, o, "attempt") ? V_ATTEMPT : 0;
      case 9: return eq(b, o, "recipient") ? V_RECIPIENT : 0;
      default: return 0;
    }
  }

  private static int state(byte[] b, int o, int n) {
    switch (n) {
      case 4: return eq(b, o, "read") ? Judge.READ : -1;
      case 6: return eq(b, o, "failed") ? Judge.FAILED : -1;
      case 8: return eq(b, o, "accepted") ? Judge.ACCEPTED : -1;
      case 9: return eq(b, o, "delivered") ? Judge.DELIVERED : -1;
      default: return -1;
    }
  }

  /** A send's {@code to}: an array of strings, their positions kept in order. */
  private int to(byte[] b, int p) {
    if (b[p] != '[') {
      return -1;
    }
    p++;
    if (b[p] == ']') {
      return p + 1;
    }
    for (;;) {
      int o = p + 1;
      p = string(b, p);
      if (p < 0) {
        return -1;
      }
      if (nTo == toOff.length) {
        toOff = Arrays.copyOf(toOff, nTo * 2);
        toLen = Arrays.copyOf(toLen, nTo * 2);
      }
      toOff[nTo] = o;
      toLen[nTo++] = p - 1 - o;
      if (b[p] == ',') {
        p++;
      } else if (b[p] == ']') {
        return p + 1;
      } else {
        return -1;
      }
    }
  }

  // ---- judging a scanned line ----------------------------------------------------------------

  /** Interns the scanned op's names, in the order the Jackson path interns them, and judges it. */
  private void commit() throws HistoryFormatException {
    final byte[] b = buf;
    Judge j = c.judge;
    int proc = j.processes.intern(b, procOff, procLen);
    int fid = f >= 0 ? f : c.fs.intern(b, fOff, fLen);
    OpType t = TYPES[type];
    nextIndex++;
    try {
      j.beforeOp(fid == DRAINED);
      c.pairing.apply(proc, t, fid, DeliveryChecker.mustPair(fid), line + 1);
      c.nextIndex++;
      if (proc == NEMESIS && errLen >= 0 && fid != ERROR) {
        c.nemesisError(c.fs.name(fid), new String(b, errOff, errLen, StandardCharsets.US_ASCII), index);
      }
      if (!tokens) {
        c.applyTree(proc, fid, t, null, time, index); // the value was skipped
        return;
      }
      int m = j.msgs.intern(b, idOff, idLen);
      if (fid == SEND) {
        int from = -1;
        if (fromFirst && fromLen >= 0) {
          from = j.users.intern(b, fromOff, fromLen);
        }
        if (nTo > c.to.length) {
          c.to = Arrays.copyOf(c.to, Math.max(nTo, c.to.length * 2));
        }
        for (int k = 0; k < nTo; k++) {
          c.to[k] = j.users.intern(b, toOff[k], toLen[k]);
        }
        if (!fromFirst && fromLen >= 0) {
          from = j.users.intern(b, fromOff, fromLen);
        }
        if (keyLen > key.length) {
          key = new char[Math.max(keyLen, key.length * 2)];
        }
        for (int k = 0; k < keyLen; k++) {
          key[k] = (char) b[keyOff + k];
        }
        j.sendInvoke(proc, m, c.to, nTo, from, key, 0, keyLen, time, index);
      } else if (fid == RECEIVE) {
        int u = j.users.intern(b, rOff, rLen);
        int d = j.devices.intern(b, dOff, dLen);
        c.requireType(fid, t, OpType.OK);
        j.receive(m, u, d, time, index);
      } else {
        int u = j.users.intern(b, rOff, rLen);
        int d = dLen < 0 ? -1 : j.devices.intern(b, dOff, dLen);
        c.requireType(fid, t, OpType.OK);
        j.receipt(m, u, d, state, index);
      }
    } catch (IllegalArgumentException e) {
      throw new HistoryFormatException(file, line + 1, e.getMessage());
    }
  }
}
