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
error-database-unavailable = Hafla is briefly unavailable. Please try again in a moment.
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

# Door verdicts, shown large at the door.
verdict-admitted = Welcome in
verdict-readmitted = Welcome back in
verdict-exited = Exit recorded — re-entry as the ticket allows
verdict-not-inside = This ticket is not inside: nothing to check out
verdict-already-admitted = Already admitted at { $time }, { $gate }
verdict-revoked = Ticket no longer valid: { $reason ->
    [refunded] it was refunded
    [cancelled] it was cancelled
   *[transferred] it was transferred to someone else
}
verdict-wrong-event = This ticket is for another event
verdict-not-yet-valid = Not valid yet: entry opens { $time }
verdict-expired = This ticket expired at { $time }
verdict-code-expired = Code expired: ask the holder to open the ticket in the Hafla app (no screenshots)
verdict-unknown-key = Unknown ticket signer: sync this device, then scan again
verdict-bad-signature = Forged or damaged ticket: do not admit
verdict-malformed = Not a Hafla ticket ({ $reason ->
    [lower_case] the code is in lower case; check Caps Lock on the scanner
    [wrong_prefix] wrong code
    [too_long] the code is too long
    [not_ascii] unexpected characters
    [unsupported_version] made by a newer Hafla; update this app
   *[other] the code could not be read
})

error-malformed-json = The request body is not valid JSON.
error-invalid-body = The request is missing something or has a wrong value: { $reason }
error-unsupported-media-type = Send the request body as JSON (Content-Type: application/json).
error-unauthenticated = Please sign in to continue.
error-forbidden = You don't have permission to do this.
error-invalid-credentials = The email or password is not correct.
error-token-expired = Your session has expired. Please sign in again.
error-token-reused = For your safety we signed you out everywhere this session was used. Please sign in again.
error-invalid-token = This link or session is no longer valid.
error-invalid-email = Enter a valid email address.
error-weak-password = Choose a stronger password: { $reason ->
    [too_short] at least 10 characters
    [too_long] at most 256 characters
    [too_common] this one is too common
   *[contains_identifier] don't use your email or phone number in it
}.
error-email-taken = An account with this email already exists. Sign in or reset your password.
error-owner-required = An organization always has exactly one owner: transfer ownership first.
error-rate-limited = Too many attempts. Try again in { $seconds } seconds.

mail-verify-subject = Confirm your email address for Hafla
mail-verify-body =
    Welcome to Hafla!

    To confirm your email address, open this link:

    { $link }

    If you didn't create a Hafla account, you can ignore this email.

    The Hafla team
mail-reset-subject = Reset your Hafla password
mail-reset-body =
    We received a request to reset the password of your Hafla account.

    To choose a new password, open this link:

    { $link }

    If you didn't ask for this, you can ignore this email: your password stays the same.

    The Hafla team

otp-sms-body = Your Hafla code is { $code }. It expires in { $minutes } minutes. Don't share it with anyone.

error-invalid-phone = { $reason ->
    [empty] Enter your mobile number.
    [too_long] That phone number is too long.
    [invalid_characters] A phone number can only contain digits, spaces, dashes and a leading +.
    [not_mobile] We can only send codes to mobile numbers (Jordanian mobiles start with 077, 078 or 079).
   *[other] That doesn't look like a valid mobile number. Check the digits and try again.
}
error-otp-wrong = That code isn't right. { $attempts_left ->
    [one] You have 1 try left.
   *[other] You have { $attempts_left } tries left.
}
error-otp-expired = That code has expired. Ask for a new one.
error-otp-locked = Too many wrong codes. Ask for a new one.
error-sms-unavailable = We couldn't send the text message right now. Please try again in a moment.
error-sms-rejected = We couldn't send a text message to this number.
error-unknown-provider = This sign-in option is not available.
error-oidc-failed = Signing in with { $provider } didn't work. Please try again.
error-phone-taken = An account with this phone number already exists. Sign in with a code sent to it.

## Event authoring and moderation
error-title-required = Give the event a title in Arabic, English or both.
error-description-required = Describe the event in Arabic, English or both.
error-text-too-long = This text is too long: at most { $max } characters.
error-too-many-tags = An event can have at most 10 tags.
error-invalid-location = The location is not valid: give both a latitude (−90 to 90) and a longitude (−180 to 180).
error-location-outside-jordan = The venue's location is outside Jordan. Check the map pin.
error-event-ends-before-start = The event must end after it starts.
error-event-starts-in-past = The event's start time has already passed.
error-unknown-time-zone = This time zone is not known. Use a name like Asia/Amman.
error-ticket-types-required = Add at least one ticket type before submitting the event for review.
error-ticket-type-name-required = Give every ticket type a name in Arabic, English or both.
error-invalid-price = A ticket price must be between 0 (free) and 10,000 JOD.
error-unsupported-currency = Ticket prices are in Jordanian dinars (JOD).
error-invalid-capacity = A ticket type's capacity must be between 1 and 100,000.
error-invalid-sales-window = Ticket sales must end after they start and no later than the end of the event.
error-invalid-per-order-limit = The most tickets per order must be between 1 and 100.
error-duplicate-ticket-type = The same ticket type appears twice.
error-unknown-ticket-type = This ticket type is not one of this event's.
error-edit-conflict = Someone changed this event while you were editing it. Reload it and make your changes again.
error-event-cancelled = This event is cancelled and can no longer be changed.
error-invalid-status-transition = The event's current status does not allow this.
error-reason-required = Give a reason for the rejection, so the organizer knows what to fix.
error-unsupported-image-type = Upload the cover as a JPEG, PNG or WebP image.
error-image-too-large = The image is too large: at most { $megabytes } MB.
error-image-too-many-pixels = The image has too many pixels: at most { $max_side } pixels a side and { $megapixels } megapixels in all.
error-image-too-small = The image is too small: at least { $min_width } × { $min_height } pixels.
error-image-corrupt = We couldn't read this image. It may be damaged; save it again as JPEG or PNG and retry.
## Event search
error-radius-out-of-range = The search radius must be more than 0 and at most { $max } km.
error-invalid-date-range = The end of the date range is before its start.
error-unknown-category = There is no category “{ $value }”.
error-unknown-city = There is no city “{ $value }”.
error-unknown-sort = Results can be sorted by relevance, date or distance, not “{ $value }”.
error-sort-needs-location = To sort by distance, give the place to measure from (latitude and longitude).
error-query-too-long = The search text is too long: use at most { $max } characters.

# Orders
error-invalid-quantity = Choose between 1 and { $max } tickets of each type.
error-order-empty = Choose at least one ticket (and at most 20 ticket types in one order).
error-event-not-on-sale = Tickets for this event are not on sale.
error-sales-not-open = Tickets of this type are not on sale yet.
error-sales-ended = Sales of this ticket type have ended.
error-over-order-limit = One order can hold at most { $limit } tickets of this type.
error-sold-out = { $left ->
    [0] Sold out.
    [one] Only one ticket is left.
   *[other] Only { $left } tickets are left.
}
error-mixed-currencies = Tickets priced in different currencies cannot be bought in one order.
error-invalid-idempotency-key = The Idempotency-Key header must be 1 to 100 visible ASCII characters.
error-idempotency-key-reused = This Idempotency-Key was already used for a different order.
error-order-not-changeable = This order can no longer be changed this way.
error-ticket-type-sold = This ticket type has orders, so it cannot be removed.
error-capacity-below-sold = The capacity cannot be lower than the { $held } tickets already reserved or sold.
error-payment-method-unavailable = This way of paying is not offered for this order.
error-payment-provider-unavailable = The payment service is not answering right now. Your tickets are still held; try again in a moment.
error-invalid-notification = This payment notification could not be verified.
error-invalid-cliq-alias = A CliQ alias is 1 to 10 Latin letters or digits, or a Jordanian mobile number such as 0791234567.
error-unknown-ticket = This ticket is not part of this order.
error-ticket-not-valid = This ticket was already refunded, cancelled or transferred.
error-refund-exceeds-paid = That is more than what is left to refund ({ $refundable }).
error-nothing-to-refund = There is nothing left to refund in this order.
error-recipient-not-found = No Hafla account has this email address or phone number. Ask them to sign up first.
error-ticket-not-transferable = This ticket cannot be transferred.
error-invalid-scan = This scan cannot be accepted: it does not match this device or event.
error-device-of-another-account = This device is registered to another account. Sign in with that account, or reset the app's data.
error-date-range-too-long = That date range is too long: at most { $max_days } days for this grouping.
error-unknown-bucket = There is no grouping “{ $value }”: use day or hour.
error-unknown-export = There is no export “{ $value }”: use orders, attendees or checkins.
## Order confirmation email: tickets with QR codes and a calendar file (sync-server/src/mail/receipt.rs)
mail-receipt-subject = Your tickets for “{ $event }” – order { $reference }
mail-receipt-greeting = Hi { $name },
mail-receipt-greeting-no-name = Hello,
mail-receipt-intro = Thank you! Your order { $reference } is confirmed and your tickets are ready.
mail-receipt-event-label = Event
mail-receipt-when-label = When
mail-receipt-venue-label = Venue
# $date is like "Friday 11 December 2026", $start and $end like "20:00".
mail-receipt-when = { $date }, { $start } to { $end } ({ $zone } time)
# For an event that ends on another day than it starts; $start and $end come from mail-receipt-date-time.
mail-receipt-when-multi-day = From { $start } to { $end } ({ $zone } time)
mail-receipt-date-time = { $date }, { $time }
mail-receipt-zone-amman = Amman
mail-receipt-venue = { $venue }, { $address }
mail-receipt-line-item = { $quantity } × { $type } ({ $unit } each)
mail-receipt-line-item-free = { $quantity } × { $type }
mail-receipt-total-label = Total
mail-receipt-payment-label = Payment
mail-receipt-payment-free = None: the tickets are free
mail-receipt-payment-card = Card (via { $provider })
mail-receipt-payment-cliq = CliQ transfer to { $alias } (reference { $reference })
mail-receipt-tickets-heading = { $count ->
    [one] Your ticket
   *[other] Your tickets
}
mail-receipt-ticket = Ticket { $number } of { $count }: { $type }
mail-receipt-ticket-text = Ticket { $number } of { $count }: { $type } (QR code attached as { $file })
mail-receipt-qr-alt = QR code for ticket { $number }
mail-receipt-show-at-door = At the entrance, show each ticket's QR code from this email or the Hafla app.
mail-receipt-offline = Your tickets also work offline in the Hafla app, so a weak signal at the entrance is no problem.
mail-receipt-tickets-link = You can see your tickets any time here: { $link }
mail-receipt-calendar = We attached { $file } so you can add the event to your calendar.
mail-receipt-signoff =
    Enjoy the event!
    The Hafla team
# The event's description in the calendar file.
mail-receipt-ics-description = Order { $reference }: { $count ->
    [one] one ticket
   *[other] { $count } tickets
}

# CSV exports for organizers: column headers and the values of fixed lists.
csv-order-reference = Order
csv-order-created = Created (Amman time)
csv-order-status = Status
csv-payment-method = Payment method
csv-tickets = Tickets
csv-total = Total
csv-currency = Currency
csv-buyer-name = Buyer
csv-email = Email
csv-phone = Phone
csv-ticket-serial = Ticket number
csv-ticket-type = Ticket type
csv-holder-name = Holder
csv-ticket-status = Ticket status
csv-admitted = Admitted
csv-scan-time = Time (Amman time)
csv-gate = Gate
csv-direction = Direction
csv-scan-result = Result
csv-device = Device
csv-yes = Yes
csv-no = No
order-status-reserved = Reserved
order-status-awaiting_payment = Awaiting payment
order-status-paid = Paid
order-status-partly_refunded = Partly refunded
order-status-refunded = Refunded
order-status-cancelled = Cancelled
order-status-expired = Expired
payment-method-free = Free
payment-method-sandbox = Sandbox
payment-method-paytabs = Card (PayTabs)
payment-method-cliq = CliQ transfer
payment-method-none = Not chosen
ticket-status-valid = Valid
ticket-status-revoked = Revoked
scan-direction-in = In
scan-direction-out = Out
scan-effect-entered = Entered
scan-effect-exited = Exited
scan-effect-refused = Refused
