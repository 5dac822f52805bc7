package io.deliverycheck.node;

import java.util.logging.LogManager;

/**
 * A LogManager whose handlers survive JVM shutdown until the node has stopped: the JDK's own
 * shutdown hook resets logging (closing the log file) while the node's hook is still logging its
 * stop. Installed by {@link NodeMain} through {@code java.util.logging.manager}.
 */
public final class NodeLogManager extends LogManager {
  private static volatile NodeLogManager instance;
  private volatile boolean shuttingDownDone;

  public NodeLogManager() {
    instance = this;
  }

  @Override
  public void reset() {
    if (Thread.currentThread().getName().startsWith("DestroyJavaVM") || shuttingDownDone
        || !isShutdownHookThread()) {
      super.reset();
    }
  }

  private static boolean isShutdownHookThread() {
    for (StackTraceElement e : Thread.currentThread().getStackTrace()) {
      if (e.getClassName().startsWith("java.util.logging.LogManager$Cleaner")) {
        return true;
      }
    }
    return false;
  }

  /** Called by the node's shutdown hook when it is done: close the handlers now. */
  static void finish() {
    NodeLogManager m = instance;
    if (m != null) {
      m.shuttingDownDone = true;
      m.reset();
    }
  }
}
