package dev.flowfabric.coordinator.domain;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** CRC-16/XMODEM partition keys (api.md §0.3). Plain unit tests: no service needed. */
class PartitionsTest {

    @Test
    void crc16XmodemMatchesTheCatalogueCheckValue() {
        // The CRC catalogue's check value of CRC-16/XMODEM over "123456789".
        assertEquals(0x31C3, Partitions.crc16Xmodem("123456789".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(0, Partitions.crc16Xmodem(new byte[0]));
    }

    @Test
    void soloExecutionsHashTheirLanesUtf8() {
        assertEquals((short) (0x31C3 % 256), Partitions.forLane("123456789", 256));
        assertEquals((short) (Partitions.crc16Xmodem("zürich".getBytes(StandardCharsets.UTF_8)) % 256),
                Partitions.forLane("zürich", 256));
    }

    @Test
    void flowsHashTheirSixteenRawBytes() {
        UUID flow = UUID.fromString("00112233-4455-6677-8899-aabbccddeeff");
        byte[] raw = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, (byte) 0x88, (byte) 0x99, (byte) 0xaa,
                (byte) 0xbb, (byte) 0xcc, (byte) 0xdd, (byte) 0xee, (byte) 0xff};
        assertEquals((short) (Partitions.crc16Xmodem(raw) % 256), Partitions.forFlow(flow, 256));
        assertEquals((short) (Partitions.crc16Xmodem(raw) % 16), Partitions.forFlow(flow, 16));
    }
}
