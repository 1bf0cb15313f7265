// The app's routes: a plain state in App, set by the navigation bar, by screens and by deep
// links (`hafla://event/{id}`, `hafla://ticket/{id}`).
import type { CliqInstructions } from "./bindings/CliqInstructions";

export type Route =
  | { name: "discover" }
  | { name: "event"; id: string }
  | { name: "pay"; orderId: string; eventId: string; hosted: boolean; cliq: CliqInstructions | null }
  | { name: "tickets"; ticketId?: string }
  | { name: "door" }
  | { name: "organizer" }
  | { name: "admin" }
  | { name: "account" };

/** Where a deep link goes. */
export function linkRoute(link: { kind: "event" | "ticket"; id: string }): Route {
  return link.kind === "event" ? { name: "event", id: link.id } : { name: "tickets", ticketId: link.id };
}

/** The navigation entry a route belongs to (for highlighting the bar). */
export function navOf(route: Route): string {
  switch (route.name) {
    case "event":
    case "discover":
      return "discover";
    case "pay":
    case "tickets":
      return "tickets";
    default:
      return route.name;
  }
}
