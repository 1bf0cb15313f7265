# Hafla — English strings. Every message here exists in ../ar/hafla.ftl too (a test checks).

app-title = Hafla
app-tagline = Events across Jordan, in your pocket
# The button that switches the interface to the other language, written in that language.
lang-switch = العربية
lang-switch-hint = Switch to Arabic

home-heading = Upcoming events
home-count = { $count ->
    [0] No events
    [one] One event
   *[other] { $count } events
}
home-loading = Loading events…
home-empty = No upcoming events yet. Check back soon.
home-retry = Try again
home-server = Server: { $url }

event-free = Free
event-price-from = From { $price }
event-venue = { $venue }, { $city }

error-invalid-parameter = The value of “{ $name }” is not valid: { $reason }
error-not-found = We couldn't find what you asked for.
error-payload-too-large = The request is too large.
error-internal = Something went wrong on our side. Please try again.
error-server-unreachable = Can't reach the Hafla server at { $url }. Check your connection and try again.
error-bad-response = The server at { $url } did not answer like a Hafla server.
error-unknown = { $message }

category-music = Music
category-theatre = Theatre
category-sports = Sports
category-conference = Conferences
category-family = Family
category-food = Food
category-art = Art
category-tech = Tech

city-amman = Amman
city-irbid = Irbid
city-zarqa = Zarqa
city-aqaba = Aqaba
city-madaba = Madaba
city-jerash = Jerash
city-salt = Salt
city-karak = Karak
city-wadi-musa = Wadi Musa (Petra)
city-wadi-rum = Wadi Rum
