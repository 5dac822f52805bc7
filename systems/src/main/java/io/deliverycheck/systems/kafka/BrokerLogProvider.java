package io.deliverycheck.systems.kafka;

import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

import java.io.PrintStream;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The SLF4J backend of the Kafka broker processes: one line per event on the broker's stdout, which
 * the environment appends to {@code logs/kafka-nI.log}. Level {@code INFO} unless
 * {@code -Ddeliverycheck.kafka.log.level=debug|warn|...}.
 *
 * <p>Why our own and not slf4j-simple: every SLF4J backend registers itself through
 * {@code META-INF/services}, so putting one on the class path the brokers share with the harness
 * would give the harness two backends (the cli ships slf4j-nop) and a warning on every command.
 * This class is registered nowhere: only a JVM started with
 * {@code -Dslf4j.provider=io.deliverycheck.systems.kafka.BrokerLogProvider} (the brokers) uses it.
 */
public final class BrokerLogProvider implements SLF4JServiceProvider {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

    private final Map<String, Logger> loggers = new ConcurrentHashMap<>();
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final MDCAdapter mdc = new BasicMDCAdapter();
    private final PrintStream out = System.out;
    private int threshold;

    @Override
    public ILoggerFactory getLoggerFactory() {
        return name -> loggers.computeIfAbsent(name, BrokerLogger::new);
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }

    @Override
    public void initialize() {
        String level = System.getProperty("deliverycheck.kafka.log.level", "info");
        threshold = Level.valueOf(level.toUpperCase(java.util.Locale.ROOT)).toInt();
    }

    private final class BrokerLogger extends LegacyAbstractLogger {
        private static final long serialVersionUID = 1L;

        BrokerLogger(String name) {
            this.name = name;
        }

        private boolean on(Level l) {
            return l.toInt() >= threshold;
        }

        @Override public boolean isTraceEnabled() { return on(Level.TRACE); }
        @Override public boolean isDebugEnabled() { return on(Level.DEBUG); }
        @Override public boolean isInfoEnabled() { return on(Level.INFO); }
        @Override public boolean isWarnEnabled() { return on(Level.WARN); }
        @Override public boolean isErrorEnabled() { return on(Level.ERROR); }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] args, Throwable t) {
            String line = LocalDateTime.now().format(TIME) + " " + level + " [" + Thread.currentThread().getName() + "] "
                    + name + " - " + MessageFormatter.basicArrayFormat(pattern, args);
            synchronized (out) {
                out.println(line);
                if (t != null) {
                    t.printStackTrace(out);
                }
            }
        }
    }
}
