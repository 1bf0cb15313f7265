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

## App shell (ui/src/App.tsx) and shared UI pieces
common-loading = Loading…
common-retry = Try again
common-back = Back
common-working = Working…
shell-nav = Main
shell-offline = Offline
shell-pending = { $count ->
    [one] 1 change waiting to upload
   *[other] { $count } changes waiting to upload
}
shell-sync-error = Sync problem
shell-version = Hafla { $version }
shell-catalog-downloading = Downloading the event catalog…
nav-discover = Discover
nav-tickets = My tickets
nav-door = Door
nav-organizer = Organizer
nav-admin = Admin
nav-account = Account
nav-sign-in = Sign in
role-owner = Owner
role-manager = Manager
role-door_staff = Door staff
role-analyst = Analyst
status-draft = Draft
status-pending_review = Waiting for review
status-published = Published
status-rejected = Rejected
status-cancelled = Cancelled

## Discover (ui/src/screens/Discover.tsx)
discover-heading = Discover events
discover-search-label = Search
discover-search-placeholder = Oud, concert, Petra…
discover-category = Category
discover-any-category = All categories
discover-city = City
discover-any-city = All cities
discover-near-me = Near me
discover-near-clear = Any distance
discover-locating = Finding your location…
discover-near-city = Your location isn't available: choose a city
discover-choose-city = Choose a city
discover-sorted-near-you = Sorted by distance from you
discover-sorted-near-city = Sorted by distance from { $city }
discover-distance = { $km } km away
discover-loading = Searching…
discover-no-match = No events match your search.
discover-catalog-waiting = The event catalog is still downloading. Events appear here as soon as it arrives.

## Event page and buying (ui/src/screens/Event.tsx)
event-when = When
event-where = Where
event-price = Price
event-zone-note = (Amman time)
event-show-other-lang = Show in Arabic
event-hide-other-lang = Hide the Arabic text
event-open-maps = Open in maps
event-share = Share
event-share-copied = Link copied:
event-share-copy-failed = Copy this link:
event-buy-offline = You're offline. Connect to the internet to buy tickets.
event-loading-tickets = Loading tickets…
buy-heading = Tickets
buy-no-tickets = No tickets are on offer for this event.
buy-not-on-sale = Not on sale now
buy-quantity = Quantity
buy-chosen = { $count ->
    [one] 1 ticket: { $total }
   *[other] { $count } tickets: { $total }
}
buy-button = Buy
buy-sign-in = Sign in to buy
buy-sign-in-first = Sign in to buy tickets.
buy-reserving = Reserving…
buy-order-heading = Order { $reference }
buy-line = { $quantity } × { $type } ({ $price } each)
buy-total = Total: { $total }
buy-held-until = Your tickets are held until { $time }.
buy-choose-method = How would you like to pay?
buy-method-sandbox = Pay by card (test)
buy-method-cliq = CliQ transfer
buy-pay = Pay
buy-paying = Opening payment…
buy-confirm-free = Get the tickets

## Payment (ui/src/screens/Payment.tsx)
pay-heading = Payment
pay-reference = Order { $reference }
pay-waiting = Waiting for payment…
pay-waiting-browser = Waiting for payment… Finish paying in the browser window that opened.
pay-paid = Paid! Your tickets are ready.
pay-expired = The order expired before it was paid. The tickets went back on sale.
pay-not-paid = The order was not paid: { $status }.
pay-back-to-event = Back to the event
pay-cliq-heading = Pay with a CliQ transfer
pay-cliq-intro = From your banking app, send a CliQ transfer with these details:
pay-cliq-alias = To alias
pay-cliq-amount = Amount
pay-cliq-reference = Note (reference)
pay-cliq-pay-by = Pay before
pay-cliq-confirmation = Your tickets arrive once the organizer confirms the transfer.

## Sign in and account (ui/src/screens/Account.tsx)
signin-heading = Sign in to Hafla
signin-tab-email = Email
signin-tab-phone = Phone
signin-tab-oidc = Other accounts
signin-email = Email
signin-password = Password
signin-password-hint = At least 10 characters.
signin-name = Your name
signin-submit = Sign in
signin-register = Create account
signin-to-register = New here? Create an account
signin-to-signin = Already have an account? Sign in
signin-phone = Mobile number
signin-phone-send = Send code
signin-phone-resend = Send a new code
signin-phone-sent = We sent a 6-digit code to { $phone }.
signin-phone-code = 6-digit code
signin-phone-verify = Sign in
signin-continue-with = Continue with { $provider }
signin-oidc-waiting = Finish signing in in your browser; you'll come back here automatically.
signin-oidc-none = This server offers no other way to sign in; use your email or phone.
provider-google = Google
provider-apple = Apple
account-email = Email
account-phone = Phone
account-platform = Platform
account-is-admin = Administrator
account-organizations = Organizations
account-no-organizations = You're not part of any organization.
account-sign-out = Sign out
settings-heading = Settings
settings-language = Language
settings-arabic-digits = Arabic-Indic digits (٠١٢٣)
settings-arabic-digits-hint = In Arabic, show numbers, prices and dates with Arabic-Indic digits.

## My tickets (ui/src/screens/Tickets.tsx)
tickets-heading = My tickets
tickets-loading = Loading your tickets…
tickets-empty = You have no tickets yet.
tickets-sign-in = Sign in to see your tickets.
tickets-brightness = At the entrance, turn your screen brightness up so the code scans quickly.
tickets-count = { $count ->
    [one] 1 ticket
   *[other] { $count } tickets
}
tickets-qr-label = QR code of ticket { $serial }
tickets-no-qr = This ticket no longer admits anyone.
tickets-serial = Ticket no. { $serial }
tickets-holder = Holder: { $name }
tickets-rotating = The code changes every few seconds: screenshots don't work.
tickets-add-calendar = Add to calendar
tickets-calendar-saved = Saved:
tickets-transfer = Transfer
tickets-transfer-to = Recipient's email or phone
tickets-transfer-hint = They need a Hafla account. Your ticket stops working once transferred.
tickets-transfer-confirm = Transfer ticket
tickets-transferred = Ticket transferred to { $recipient }.
orders-heading = My orders
orders-empty = No orders yet.
orders-line = { $quantity } × { $type }
orders-refund-note = Refunds go back to the way you paid.

## Door (ui/src/screens/Door.tsx)
door-heading = Door
door-sign-in = Sign in with a door staff account to check tickets.
door-no-events = You're not on the door of any event.
door-choose-event = Choose the event
door-downloaded = On this device
door-download-list = Download door list
door-update-list = Update door list
door-progress-label = Door list
door-progress = { $done } / { $total }
door-download-done = { $count ->
    [one] Door list ready: 1 ticket.
   *[other] Door list ready: { $count } tickets.
}
door-download-first = Download the door list first: scanning then works offline.
door-gate = Gate
door-gate-default = Main gate
door-direction = Direction
door-start = Start scanning
door-change = Change event or gate
door-at-gate = Gate: { $gate }
door-scan-label = Scan a ticket (or type its code and press Enter)
door-scan-placeholder = HF:…
door-ready = Ready: scan a ticket
door-signal-admit = ADMIT
door-signal-refuse = STOP
door-signal-attention = CHECK
door-counts = Counts
door-admitted = Admitted
door-remaining = Not yet in
door-tickets = Tickets
door-pending = Waiting to upload
door-connection = Connection
door-online = Online
door-per-gate = Per gate
door-revoked-conflicts = Revoked: { $revoked } · Conflicts: { $conflicts }
door-conflicts = Conflicts
door-no-conflicts = No conflicts.
door-conflict-double_admission = Ticket { $serial } admitted twice
door-conflict-admitted_after_revocation = Ticket { $serial } admitted after it was revoked
door-conflict-where = at { $gate }, { $time }
door-conflict-first = first at { $gate }, { $time }
door-camera-start = Use camera
door-camera-stop = Stop camera
door-camera-view = Camera view
door-camera-failed = The camera could not start: { $reason }

## Organizer (ui/src/screens/Organizer.tsx, EventForm.tsx, Dashboard.tsx)
org-heading = Organizer
org-none = You don't manage any organization.
org-switch = Organization
org-tab-events = Events
org-tab-staff = Staff
org-tab-orders = Refunds and CliQ
org-new-event = New event
org-no-events = No events yet. Create the first one.
org-edit = Edit
org-dashboard = Dashboard
org-submit = Submit for review
org-rejected-because = Rejected: { $reason }
org-staff-heading = Staff of { $name }
org-member-name = Name
org-member-contact = Email or phone
org-member-role = Role
org-invite-heading = Invite someone
org-invite = Invite
org-invited = { $email } was added.
org-order-id = Order ID
org-refund-heading = Refund an order
org-refund-reason = Reason
org-refund = Refund
org-refund-done = The order was refunded and its tickets revoked.
org-cliq-heading = CliQ transfers
org-cliq-hint = Check your bank: confirm a transfer once it arrived, with the order's reference in its note.
org-cliq-received = Transfer received
org-cliq-not-received = Not received
org-cliq-approved = Confirmed: the buyer's tickets are issued.
org-cliq-rejected = Marked as not received.
form-new-heading = New event
form-edit-heading = Edit event
form-about = About the event
form-title-ar = Title (Arabic)
form-title-en = Title (English)
form-description-ar = Description (Arabic)
form-description-en = Description (English)
form-tags = Tags (separated by commas)
form-venue = Venue
form-venue-ar = Venue name (Arabic)
form-venue-en = Venue name (English)
form-address-ar = Address (Arabic)
form-address-en = Address (English)
form-lat = Latitude
form-lng = Longitude
form-when = Date and time
form-start = Starts
form-end = Ends
form-amman-time = Times are Amman time.
form-ticket-types = Ticket types
form-tt-name-ar = Name (Arabic)
form-tt-name-en = Name (English)
form-tt-price = Price (JOD)
form-tt-capacity = Tickets on offer
form-tt-add = Add a ticket type
form-tt-remove = Remove
form-save = Save
form-save-submit = Save and submit for review
form-close = Close
form-saved = Saved.
form-submitted = Submitted for review. You'll see here when it's approved.
form-location-invalid = Give the venue's latitude and longitude as numbers.
form-times-required = Give the start and end date and time.
form-price-invalid = Ticket type { $row }: write the price in JOD, e.g. 12.500.
form-capacity-invalid = Ticket type { $row }: the number of tickets must be a whole number.
dash-heading = Dashboard: { $title }
dash-bucket = Group by
dash-by-day = By day
dash-by-hour = By hour
dash-sold = Sold
dash-revenue = Revenue
dash-refunded = Refunded
dash-net = Net
dash-capacity = Capacity
dash-capacity-value = { $held } of { $capacity } taken, { $left } left
dash-held = Taken
dash-left = Left
dash-sales-chart = Tickets sold
dash-checkins-chart = Check-ins
dash-ticket-types = By ticket type
dash-gates = By gate
dash-scans = Scans
dash-no-scans = No scans yet.
dash-payments = By payment method
dash-funnel = From page view to payment
dash-funnel-views = Page views
dash-funnel-checkouts = Checkouts started
dash-funnel-paid = Paid orders
dash-no-show = No-shows
dash-no-show-rate = { $rate }% ({ $count ->
    [one] 1 of { $valid } tickets
   *[other] { $count } of { $valid } tickets
})
dash-no-show-event_not_ended = known once the event has ended
dash-no-show-no_tickets_sold = no tickets sold
dash-admitted-of = { $admitted } of { $valid } admitted
dash-exports = Export (CSV)
dash-export-orders = Orders
dash-export-attendees = Attendees
dash-export-checkins = Check-ins
dash-exported = Saved:

## Admin (ui/src/screens/Admin.tsx)
admin-heading = Events waiting for review
admin-empty = Nothing to review.
admin-count = { $count ->
    [one] 1 event waiting
   *[other] { $count } events waiting
}
admin-submitted = Submitted { $time }
admin-approve = Approve
admin-reject = Reject
admin-reject-reason = Reason for rejecting (the organizer sees it)
admin-approved = “{ $title }” is published.
admin-rejected = “{ $title }” was sent back to its organizer.
