package io.deliverycheck.environments;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReferenceNodeFlagsTest {
    @Test
    void theDefaultHorizonIsTheTimeoutCapPlusBackoffCapPlusLeasePlusFivePolls() {
        assertEquals(Duration.ofMillis(4000 + 5000 + 3000 + 500), ReferenceNodeFlags.retryHorizon(List.of()));
    }

    @Test
    void flagsChangeIt() {
        assertEquals(Duration.ofMillis(2000 + 1000 + 500 + 5 * 50), ReferenceNodeFlags.retryHorizon(List.of(
                "--ack-timeout-max-ms", "2000", "--backoff-max-ms", "1000", "--lease-ms", "500", "--poll-ms", "50")));
    }

    @Test
    void aMinimumAboveTheCapIsTheCap() {
        // the node raises the cap to the minimum; the horizon follows it
        assertEquals(Duration.ofMillis(6000 + 5000 + 3000 + 500),
                ReferenceNodeFlags.retryHorizon(List.of("--ack-timeout-ms", "6000")));
    }
}
