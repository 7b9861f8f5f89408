package io.cyclefleet.api;

import jakarta.ws.rs.core.SecurityContext;

/** Who made a request, as access control authenticated them; recorded on approvals, cancels, acks. */
public final class Actors {

    private Actors() {
    }

    public static String of(SecurityContext who) {
        return who == null || who.getUserPrincipal() == null ? "anonymous" : who.getUserPrincipal().getName();
    }
}
