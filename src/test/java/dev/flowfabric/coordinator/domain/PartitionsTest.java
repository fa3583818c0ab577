package dev.flowfabric.coordinator.domain;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PartitionsTest {

    @Test
    void crc16XmodemMatchesTheStandardCheckValue() {
        // The catalogued check value of CRC-16/XMODEM over "123456789" is 0x31C3.
        assertEquals(0x31C3, Partitions.crc16Xmodem("123456789".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(0, Partitions.crc16Xmodem(new byte[0]));
    }

    @Test
    void laneAndFlowPartitionsAreTheCrcModuloThePartitionCount() {
        int crc = Partitions.crc16Xmodem("emails".getBytes(StandardCharsets.UTF_8));
        assertEquals(crc % 256, Partitions.forLane("emails", 256));
        assertEquals(crc % 7, Partitions.forLane("emails", 7));

        UUID flow = UUID.fromString("00112233-4455-6677-8899-aabbccddeeff");
        byte[] raw = new byte[16];
        for (int i = 0; i < 16; i++) {
            raw[i] = (byte) (0x11 * i);
        }
        assertEquals(Partitions.crc16Xmodem(raw) % 256, Partitions.forFlow(flow, 256));
    }
}
