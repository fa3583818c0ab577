package dev.flowfabric.coordinator.domain;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/** Partition keys (api.md §0.3): CRC-16/XMODEM of the flow id's 16 bytes or of the lane's UTF-8. */
public final class Partitions {

    private Partitions() {
    }

    public static int crc16Xmodem(byte[] data) {
        int crc = 0;
        for (byte b : data) {
            crc ^= (b & 0xFF) << 8;
            for (int i = 0; i < 8; i++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
            crc &= 0xFFFF;
        }
        return crc;
    }

    public static short forFlow(UUID flowId, int partitions) {
        byte[] bytes = new byte[16];
        long msb = flowId.getMostSignificantBits();
        long lsb = flowId.getLeastSignificantBits();
        for (int i = 0; i < 8; i++) {
            bytes[i] = (byte) (msb >>> (56 - 8 * i));
            bytes[8 + i] = (byte) (lsb >>> (56 - 8 * i));
        }
        return (short) (crc16Xmodem(bytes) % partitions);
    }

    public static short forLane(String lane, int partitions) {
        return (short) (crc16Xmodem(lane.getBytes(StandardCharsets.UTF_8)) % partitions);
    }
}
