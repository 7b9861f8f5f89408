package io.cyclefleet.api;

/** The request is well-formed but conflicts with the resource's state. Mapped to 409. */
public class ConflictException extends RuntimeException {
    public ConflictException(String message) {
        super(message);
    }
}
