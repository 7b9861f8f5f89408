package io.cyclefleet.deploy;

/** A configured adapter with its name, as a handler hands it to the implementation of its type. */
public record NamedAdapter(String name, AdapterConfig.Adapter settings) {
}
