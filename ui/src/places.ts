// Lists the UI offers in pickers, in a fixed order.
import type { Category } from "./bindings/Category";
import type { City } from "./bindings/City";

export const CATEGORIES: Category[] = ["music", "theatre", "sports", "conference", "family", "food", "art", "tech"];

/** Each city's centre, for "near me" without location access and as a form's default pin. */
export const CITY_CENTRES: Record<City, { lat: number; lng: number }> = {
  amman: { lat: 31.9539, lng: 35.9106 },
  irbid: { lat: 32.5556, lng: 35.85 },
  zarqa: { lat: 32.0728, lng: 36.088 },
  aqaba: { lat: 29.532, lng: 35.0063 },
  madaba: { lat: 31.716, lng: 35.7939 },
  jerash: { lat: 32.2803, lng: 35.8993 },
  salt: { lat: 32.0392, lng: 35.7272 },
  karak: { lat: 31.1853, lng: 35.7048 },
  wadi_musa: { lat: 30.3216, lng: 35.4801 },
  wadi_rum: { lat: 29.5765, lng: 35.4195 },
};

export const CITIES = Object.keys(CITY_CENTRES) as City[];
