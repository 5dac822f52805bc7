package io.deliverycheck.checker.runner;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * An {@link Environment} whose members can lose power: fault {@code power-loss}. The members' data
 * live on a file system that remembers what was not fsynced (docs/environments.md, "Power-loss file
 * system"), so a power cut takes back exactly what a real one may take.
 */
public interface PowerLossable {

    /** The members a power loss may take down: node names, and {@link Grudge#DB} for the database. */
    List<String> powerLossMembers();

    /**
     * Cuts the power of {@code members} at once: SIGKILL them all, then drop every byte their file
     * systems hold unsynced. They stay down until {@link #powerOn}.
     *
     * @return what the drop took back, recorded with the fault's start op (e.g.
     *         {@code {"reverted_files":16,"restored_bytes":65536,"undone_ops":10}})
     */
    ObjectNode powerOff(List<String> members) throws Exception;

    /** Starts {@code members} again (the database first); returns once they serve. Idempotent. */
    void powerOn(List<String> members) throws Exception;
}
