package io.deliverycheck.checker.runner;

import java.time.Duration;

/** An {@link Environment} whose internal links can be slowed: fault {@code link-delay}. */
public interface LinkDelayable {

    /** Delay every node-to-node and node-to-database link by {@code delay} in each direction. */
    void delayLinks(Duration delay) throws Exception;

    /** Remove the delay of {@link #delayLinks}. */
    void clearDelay() throws Exception;
}
