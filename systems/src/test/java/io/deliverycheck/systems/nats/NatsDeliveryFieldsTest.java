package io.deliverycheck.systems.nats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsJetStreamMetaData;
import io.nats.client.impl.NatsMessage;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * What a NATS device records about each delivery next to its receive (no broker needed): the
 * subject off the wire and, parsed by jnats from the ack subject, the consumer that handed it out
 * and its stream and consumer sequences. This is what settles a misrouted receive (docs/findings.md,
 * "NATS JetStream and Redis Streams").
 */
class NatsDeliveryFieldsTest {

    /** A message as jnats hands a fetched JetStream message out: jnats's own parser reads its ack subject. */
    private static NatsMessage fetched(String subject, String reply) {
        Headers h = new Headers().put(NatsPublisher.ID_HEADER, "m66");
        return new NatsMessage(subject, reply, h, "{}".getBytes(StandardCharsets.UTF_8)) {
            @Override
            public boolean isJetStream() {
                return true;
            }

            @Override
            public NatsJetStreamMetaData metaData() {
                return new NatsJetStreamMetaData(this);
            }
        };
    }

    @Test
    void recordsTheSubjectTheConsumerAndTheSequencesOfADelivery() {
        ObjectNode v = NatsDevice.delivery(fetched("dc.u.u0", "$JS.ACK.DC.d_u3_laptop.2.41.17.1700000000000000000.0"));
        assertEquals("dc.u.u0", v.get("subject").asText());
        assertEquals("DC", v.get("stream").asText());
        assertEquals("d_u3_laptop", v.get("consumer").asText());
        assertEquals(41, v.get("stream_seq").asLong());
        assertEquals(17, v.get("consumer_seq").asLong());
        assertEquals(2, v.get("delivered").asLong());
        assertFalse(v.has("id") || v.has("recipient") || v.has("device"), "who received what is the device's to say: " + v);
    }

    @Test
    void keepsAnAckSubjectJnatsCannotParseWhole() {
        ObjectNode v = NatsDevice.delivery(fetched("dc.u.u3", "_INBOX.odd"));
        assertEquals("dc.u.u3", v.get("subject").asText());
        assertEquals("_INBOX.odd", v.get("reply").asText());
        assertFalse(v.has("stream_seq"), v.toString());
    }
}
