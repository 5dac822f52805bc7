package io.deliverycheck.systems;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ServicePortsTest {

    @Test
    void portsComeFromBelowTheEphemeralRangeAndAreNeverHandedOutTwice() throws Exception {
        String range = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim();
        int low = Integer.parseInt(range.split("\\s+")[0]);
        assertEquals(low, ServicePorts.ephemeralLow());
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            int p = ServicePorts.free("127.0.0.1");
            assertTrue(p >= 20000 && p < low, "port " + p + " below " + low);
            assertTrue(seen.add(p), "handed out twice: " + p);
        }
    }
}
