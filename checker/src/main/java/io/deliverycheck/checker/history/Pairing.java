package io.deliverycheck.checker.history;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The invoke/complete rules of a history, shared by every reader so they reject the same files:
 * a process has at most one operation open; {@code ok}, {@code fail} or {@code info} of a process
 * with the same {@code f} as its open invocation completes it; a completion of {@code send},
 * {@code ack} or {@code read} needs an open invocation; other operations ({@code receive},
 * {@code receipt}, {@code roster}, {@code drained}, nemesis faults) may stand alone.
 * Processes and operation names are small ints chosen by the caller.
 */
public final class Pairing {
  private final IntFunction<String> processName;
  private final IntFunction<String> fName;
  private int[] openF = new int[64]; // f + 1, 0 when nothing is open
  private long[] openLine = new long[64];

  public Pairing(IntFunction<String> processName, IntFunction<String> fName) {
    this.processName = processName;
    this.fName = fName;
  }

  /** True for the operations that are always an invocation then a completion. */
  public static boolean mustPair(String f) {
    return "send".equals(f) || "ack".equals(f) || "read".equals(f);
  }

  /**
   * Applies one op.
   *
   * @param mustPair {@link #mustPair(String)} of f
   * @return {@code true} when the op completes an open invocation, {@code false} when it is an
   *     invocation or stands alone
   * @throws IllegalArgumentException with the problem in words when the op breaks the rules
   */
  public boolean apply(int process, OpType type, int f, boolean mustPair, long line) {
    if (process >= openF.length) {
      int n = Math.max(process + 1, openF.length * 2);
      openF = Arrays.copyOf(openF, n);
      openLine = Arrays.copyOf(openLine, n);
    }
    int open = openF[process];
    if (type == OpType.INVOKE) {
      if (open != 0) {
        throw new IllegalArgumentException("process " + processName.apply(process) + " invokes "
            + fName.apply(f) + " while its " + fName.apply(open - 1) + " invoked on line "
            + openLine[process] + " is still open (a process has at most one operation open)");
      }
      openF[process] = f + 1;
      openLine[process] = line;
      return false;
    }
    if (open == f + 1) {
      openF[process] = 0;
      return true;
    }
    if (mustPair) {
      throw new IllegalArgumentException("completion without invocation: process "
          + processName.apply(process) + " has no open " + fName.apply(f) + " to complete with "
          + type.wire() + (open == 0 ? "" : " (its open operation is " + fName.apply(open - 1)
          + " from line " + openLine[process] + ")"));
    }
    return false;
  }

  /** The line of the invocation {@code process} has open, or 0 when none is open. */
  public long openSince(int process) {
    return process < openF.length && openF[process] != 0 ? openLine[process] : 0;
  }

  /**
   * The same rules for readers that see processes and operations as strings: interns them into the
   * small ints {@link Pairing} works on. Memory grows with distinct processes and operation names.
   */
  public static final class Named {
    private final Map<String, Integer> processes = new HashMap<>();
    private final List<String> processNames = new ArrayList<>();
    private final Map<String, Integer> fs = new HashMap<>();
    private final List<String> fNames = new ArrayList<>();
    private final Pairing pairing = new Pairing(processNames::get, fNames::get);

    /** {@link Pairing#apply} by name; the same return value and exception. */
    public boolean apply(String process, OpType type, String f, long line) {
      return pairing.apply(intern(processes, processNames, process), type, intern(fs, fNames, f),
          mustPair(f), line);
    }

    private static int intern(Map<String, Integer> ids, List<String> names, String s) {
      Integer id = ids.get(s);
      if (id == null) {
        id = names.size();
        ids.put(s, id);
        names.add(s);
      }
      return id;
    }
  }
}
