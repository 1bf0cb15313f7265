# حفلة — النصوص العربية. كل رسالة هنا موجودة في ../en/hafla.ftl أيضاً (يتحقق من ذلك اختبار).

app-title = حفلة
app-tagline = فعاليات الأردن كلها في جيبك
# زر التبديل إلى اللغة الأخرى، مكتوب بتلك اللغة.
lang-switch = English
lang-switch-hint = التبديل إلى الإنجليزية

home-heading = الفعاليات القادمة
home-count = { $count ->
    [zero] لا توجد فعاليات
    [one] فعالية واحدة
    [two] فعاليتان
    [few] { $count } فعاليات
    [many] { $count } فعالية
   *[other] { $count } فعالية
}
home-loading = جارٍ تحميل الفعاليات…
home-empty = لا توجد فعاليات قادمة بعد. عد قريباً.
home-retry = أعد المحاولة
home-server = الخادم: { $url }

event-free = مجاناً
event-price-from = ابتداءً من { $price }
event-venue = { $venue }، { $city }

error-invalid-parameter = قيمة «{ $name }» غير صحيحة: { $reason }
error-not-found = لم نجد ما طلبته.
error-payload-too-large = الطلب أكبر من المسموح.
error-internal = حدث خطأ من جهتنا. يرجى المحاولة مرة أخرى.
error-database-unavailable = خدمة حفلة غير متاحة مؤقتاً. حاول مرة أخرى بعد قليل.
error-server-unreachable = تعذّر الوصول إلى خادم حفلة على { $url }. تحقق من اتصالك وأعد المحاولة.
error-bad-response = الخادم على { $url } لم يُجب كخادم حفلة.
error-unknown = { $message }

category-music = موسيقى
category-theatre = مسرح
category-sports = رياضة
category-conference = مؤتمرات
category-family = عائلة
category-food = طعام
category-art = فنون
category-tech = تقنية

city-amman = عمّان
city-irbid = إربد
city-zarqa = الزرقاء
city-aqaba = العقبة
city-madaba = مادبا
city-jerash = جرش
city-salt = السلط
city-karak = الكرك
city-wadi-musa = وادي موسى (البترا)
city-wadi-rum = وادي رم

# نتائج المسح على الباب، تُعرض بخط كبير.
verdict-admitted = أهلاً وسهلاً، تفضّل بالدخول
verdict-readmitted = أهلاً بعودتك، تفضّل بالدخول
verdict-exited = سُجّل الخروج — يُسمح بالعودة حسب نوع التذكرة
verdict-not-inside = هذه التذكرة ليست في الداخل: لا خروج لتسجيله
verdict-already-admitted = دخلت هذه التذكرة مسبقاً في { $time }، { $gate }
verdict-revoked = التذكرة لم تعد صالحة: { $reason ->
    [refunded] استُردّ ثمنها
    [cancelled] أُلغيت
   *[transferred] نُقلت إلى شخص آخر
}
verdict-wrong-event = هذه التذكرة لفعالية أخرى
verdict-not-yet-valid = التذكرة غير صالحة بعد: يبدأ الدخول { $time }
verdict-expired = انتهت صلاحية التذكرة في { $time }
verdict-code-expired = انتهت صلاحية الرمز: اطلب من حامل التذكرة فتحها في تطبيق حفلة (لا تُقبل لقطات الشاشة)
verdict-unknown-key = جهة توقيع غير معروفة: زامن هذا الجهاز ثم امسح مجدداً
verdict-bad-signature = تذكرة مزوّرة أو تالفة: لا تسمح بالدخول
verdict-malformed = ليست تذكرة حفلة ({ $reason ->
    [lower_case] الرمز بأحرف صغيرة؛ تحقق من زر Caps Lock في الماسح
    [wrong_prefix] رمز غير صحيح
    [too_long] الرمز أطول من المسموح
    [not_ascii] أحرف غير متوقعة
    [unsupported_version] صادرة عن نسخة أحدث من حفلة؛ حدّث هذا التطبيق
   *[other] تعذّرت قراءة الرمز
})

error-malformed-json = محتوى الطلب ليس بصيغة JSON صحيحة.
error-invalid-body = الطلب ينقصه شيء أو فيه قيمة خاطئة: { $reason }
error-unsupported-media-type = أرسل محتوى الطلب بصيغة JSON ‏(Content-Type: application/json).
error-unauthenticated = يرجى تسجيل الدخول للمتابعة.
error-forbidden = لا تملك صلاحية القيام بذلك.
error-invalid-credentials = البريد الإلكتروني أو كلمة المرور غير صحيحة.
error-token-expired = انتهت جلستك. يرجى تسجيل الدخول مجدداً.
error-token-reused = حفاظاً على أمانك أنهينا الجلسة على كل الأجهزة التي استُخدمت فيها. يرجى تسجيل الدخول مجدداً.
error-invalid-token = هذا الرابط أو هذه الجلسة لم يعد صالحاً.
error-invalid-email = أدخل بريداً إلكترونياً صحيحاً.
error-weak-password = اختر كلمة مرور أقوى: { $reason ->
    [too_short] عشرة أحرف على الأقل
    [too_long] ٢٥٦ حرفاً على الأكثر
    [too_common] هذه الكلمة شائعة جداً
   *[contains_identifier] لا تضمّنها بريدك الإلكتروني أو رقم هاتفك
}.
error-email-taken = يوجد حساب بهذا البريد الإلكتروني. سجّل الدخول أو أعد تعيين كلمة المرور.
error-owner-required = لكل منظمة مالك واحد دائماً: انقل الملكية أولاً.
error-rate-limited = محاولات كثيرة. حاول مجدداً بعد { $seconds } ثانية.

mail-verify-subject = تأكيد بريدك الإلكتروني في حفلة
mail-verify-body =
    أهلاً بك في حفلة!

    لتأكيد بريدك الإلكتروني، افتح الرابط التالي:

    { $link }

    إذا لم تُنشئ حساباً في حفلة، يمكنك تجاهل هذه الرسالة.

    فريق حفلة
mail-reset-subject = إعادة تعيين كلمة المرور لحسابك في حفلة
mail-reset-body =
    وصلنا طلب لإعادة تعيين كلمة المرور لحسابك في حفلة.

    لاختيار كلمة مرور جديدة، افتح الرابط التالي:

    { $link }

    إذا لم تطلب ذلك، يمكنك تجاهل هذه الرسالة، وستبقى كلمة المرور كما هي.

    فريق حفلة

otp-sms-body = رمز الدخول إلى حفلة هو { $code }. تنتهي صلاحيته خلال { $minutes } دقائق. لا تشاركه مع أحد.

error-invalid-phone = { $reason ->
    [empty] أدخل رقم هاتفك المحمول.
    [too_long] رقم الهاتف طويل جدًا.
    [invalid_characters] يمكن أن يحتوي رقم الهاتف على أرقام ومسافات وشرطات وعلامة + في أوله فقط.
    [not_mobile] نرسل الرموز إلى أرقام الهواتف المحمولة فقط (تبدأ الأرقام الأردنية بـ 077 أو 078 أو 079).
   *[other] لا يبدو هذا رقم هاتف محمول صحيحاً. تحقق من الأرقام وحاول مرة أخرى.
}
error-otp-wrong = الرمز غير صحيح. { $attempts_left ->
    [zero] لم تتبقَّ لديك محاولات.
    [one] تبقّت لديك محاولة واحدة.
    [two] تبقّت لديك محاولتان.
    [few] تبقّت لديك { $attempts_left } محاولات.
   *[other] تبقّت لديك { $attempts_left } محاولة.
}
error-otp-expired = انتهت صلاحية الرمز. اطلب رمزًا جديدًا.
error-otp-locked = أدخلت رموزًا خاطئة مرات كثيرة. اطلب رمزًا جديدًا.
error-sms-unavailable = تعذّر إرسال الرسالة النصية الآن. حاول مرة أخرى بعد قليل.
error-sms-rejected = تعذّر إرسال رسالة نصية إلى هذا الرقم.
error-unknown-provider = خيار تسجيل الدخول هذا غير متاح.
error-oidc-failed = لم ينجح تسجيل الدخول عبر { $provider }. حاول مرة أخرى.
error-phone-taken = يوجد حساب بهذا الرقم. سجّل الدخول برمز يُرسل إليه.

## إنشاء الفعاليات ومراجعتها
error-title-required = أدخل عنوانًا للفعالية بالعربية أو الإنجليزية أو بكلتيهما.
error-description-required = أدخل وصفًا للفعالية بالعربية أو الإنجليزية أو بكلتيهما.
error-text-too-long = هذا النص طويل جدًا: الحد الأقصى لعدد الأحرف هو { $max }.
error-too-many-tags = يمكن أن تحمل الفعالية 10 وسوم على الأكثر.
error-invalid-location = الموقع غير صحيح: أدخل خط العرض (من −90 إلى 90) وخط الطول (من −180 إلى 180) معًا.
error-location-outside-jordan = موقع المكان خارج الأردن. تحقق من الدبوس على الخريطة.
error-event-ends-before-start = يجب أن تنتهي الفعالية بعد بدايتها.
error-event-starts-in-past = وقت بدء الفعالية قد مضى.
error-unknown-time-zone = هذه المنطقة الزمنية غير معروفة. استخدم اسمًا مثل Asia/Amman.
error-ticket-types-required = أضف نوع تذكرة واحدًا على الأقل قبل إرسال الفعالية للمراجعة.
error-ticket-type-name-required = أدخل اسمًا لكل نوع تذكرة بالعربية أو الإنجليزية أو بكلتيهما.
error-invalid-price = يجب أن يكون سعر التذكرة بين 0 (مجانية) و10,000 دينار أردني.
error-unsupported-currency = أسعار التذاكر بالدينار الأردني (JOD).
error-invalid-capacity = يجب أن تكون سعة نوع التذكرة بين 1 و100,000.
error-invalid-sales-window = يجب أن ينتهي بيع التذاكر بعد بدايته وألا يتجاوز نهاية الفعالية.
error-invalid-per-order-limit = يجب أن يكون الحد الأقصى للتذاكر في الطلب الواحد بين 1 و100.
error-duplicate-ticket-type = نوع التذكرة نفسه مذكور مرتين.
error-unknown-ticket-type = نوع التذكرة هذا ليس من أنواع تذاكر هذه الفعالية.
error-edit-conflict = عدّل شخص آخر هذه الفعالية أثناء تحريرك لها. أعد تحميلها ثم أجرِ تعديلاتك من جديد.
error-event-cancelled = هذه الفعالية ملغاة ولم يعد بالإمكان تعديلها.
error-invalid-status-transition = حالة الفعالية الحالية لا تسمح بذلك.
error-reason-required = اذكر سبب الرفض ليعرف المنظِّم ما يجب تصحيحه.
error-unsupported-image-type = ارفع صورة الغلاف بصيغة JPEG أو PNG أو WebP.
error-image-too-large = الصورة كبيرة جدًا: الحد الأقصى { $megabytes } ميغابايت.
error-image-too-many-pixels = الصورة تحتوي على عدد كبير جدًا من البكسلات: الحد الأقصى { $max_side } بكسل لكل ضلع و{ $megapixels } ميغابكسل إجمالًا.
error-image-too-small = الصورة صغيرة جدًا: الحد الأدنى { $min_width } × { $min_height } بكسل.
error-image-corrupt = تعذّرت قراءة هذه الصورة، فقد تكون تالفة. احفظها من جديد بصيغة JPEG أو PNG ثم أعد المحاولة.
## البحث عن الفعاليات
error-radius-out-of-range = يجب أن يكون نطاق البحث أكبر من صفر وألّا يتجاوز { $max } كم.
error-invalid-date-range = تاريخ نهاية الفترة يسبق تاريخ بدايتها.
error-unknown-category = لا توجد فئة باسم «{ $value }».
error-unknown-city = لا توجد مدينة باسم «{ $value }».
error-unknown-sort = يمكن ترتيب النتائج حسب الصلة أو التاريخ أو المسافة، وليس «{ $value }».
error-sort-needs-location = للترتيب حسب المسافة، حدّد المكان الذي تُقاس منه المسافة (خط العرض وخط الطول).
error-query-too-long = نص البحث طويل جدًا: يجب ألّا يتجاوز عدد أحرفه { $max }.

# الطلبات
error-invalid-quantity = اختر من تذكرة واحدة إلى { $max } تذكرة من كل نوع.
error-order-empty = اختر تذكرة واحدة على الأقل (وعشرين نوعًا من التذاكر على الأكثر في الطلب الواحد).
error-event-not-on-sale = تذاكر هذه الفعالية غير معروضة للبيع.
error-sales-not-open = لم يبدأ بيع هذا النوع من التذاكر بعد.
error-sales-ended = انتهى بيع هذا النوع من التذاكر.
error-over-order-limit = { $limit ->
    [one] يمكن أن يضم الطلب الواحد تذكرة واحدة فقط من هذا النوع.
    [two] يمكن أن يضم الطلب الواحد تذكرتين على الأكثر من هذا النوع.
    [few] يمكن أن يضم الطلب الواحد { $limit } تذاكر على الأكثر من هذا النوع.
   *[other] يمكن أن يضم الطلب الواحد { $limit } تذكرة على الأكثر من هذا النوع.
}
error-sold-out = { $left ->
    [0] نفدت التذاكر.
    [one] بقيت تذكرة واحدة فقط.
    [two] بقيت تذكرتان فقط.
    [few] بقيت { $left } تذاكر فقط.
   *[other] بقيت { $left } تذكرة فقط.
}
error-mixed-currencies = لا يمكن شراء تذاكر مسعّرة بعملات مختلفة في طلب واحد.
error-invalid-idempotency-key = يجب أن تكون قيمة ترويسة Idempotency-Key من 1 إلى 100 حرف ASCII مرئي.
error-idempotency-key-reused = استُخدم مفتاح Idempotency-Key هذا من قبل لطلب مختلف.
error-order-not-changeable = لم يعد بالإمكان تعديل هذا الطلب بهذه الطريقة.
error-ticket-type-sold = لهذا النوع من التذاكر طلبات، فلا يمكن حذفه.
error-capacity-below-sold = لا يمكن أن تقل السعة عن عدد التذاكر المحجوزة أو المبيعة ({ $held }).
error-payment-method-unavailable = طريقة الدفع هذه غير متاحة لهذا الطلب.
error-payment-provider-unavailable = خدمة الدفع لا تستجيب الآن. ما زالت تذاكرك محجوزة؛ حاول مرة أخرى بعد قليل.
error-invalid-notification = تعذّر التحقق من إشعار الدفع هذا.
error-invalid-cliq-alias = الاسم المستعار في كليك (CliQ) من 1 إلى 10 أحرف لاتينية أو أرقام، أو رقم هاتف خلوي أردني مثل 0791234567.
error-unknown-ticket = هذه التذكرة ليست من هذا الطلب.
error-ticket-not-valid = سبق أن استُردّت هذه التذكرة أو أُلغيت أو نُقلت.
error-refund-exceeds-paid = هذا المبلغ أكبر مما بقي للاسترداد ({ $refundable }).
error-nothing-to-refund = لم يبقَ في هذا الطلب ما يُسترد.
error-recipient-not-found = لا يوجد حساب في حفلة بهذا البريد الإلكتروني أو رقم الهاتف. اطلب من صاحبه التسجيل أولًا.
error-ticket-not-transferable = لا يمكن نقل هذه التذكرة.
error-invalid-scan = لا يمكن قبول هذا المسح: لا يطابق هذا الجهاز أو هذه الفعالية.
error-device-of-another-account = هذا الجهاز مسجّل لحساب آخر. سجّل الدخول بذلك الحساب، أو امسح بيانات التطبيق.
error-date-range-too-long = الفترة طويلة جدًا: الحد الأقصى { $max_days } يومًا لهذا التجميع.
error-unknown-bucket = لا يوجد تجميع باسم «{ $value }»: استخدم day أو hour.
error-unknown-export = لا يوجد تصدير باسم «{ $value }»: استخدم orders أو attendees أو checkins.
## رسالة تأكيد الطلب: التذاكر مع رموز QR وملف تقويم (sync-server/src/mail/receipt.rs)
mail-receipt-subject = تذاكرك لحضور «{ $event }» – الطلب { $reference }
mail-receipt-greeting = مرحباً { $name }،
mail-receipt-greeting-no-name = مرحباً،
mail-receipt-intro = شكراً لك! تمّ تأكيد طلبك رقم { $reference } وتذاكرك جاهزة.
mail-receipt-event-label = الفعالية
mail-receipt-when-label = الموعد
mail-receipt-venue-label = المكان
# $date مثل «الجمعة 11 كانون الأول 2026»، و$start و$end مثل «20:00».
mail-receipt-when = { $date }، من الساعة { $start } حتى { $end } بتوقيت { $zone }
# لفعالية تنتهي في يوم غير يوم بدايتها؛ $start و$end من mail-receipt-date-time.
mail-receipt-when-multi-day = من { $start } حتى { $end } بتوقيت { $zone }
mail-receipt-date-time = { $date }، الساعة { $time }
mail-receipt-zone-amman = عمّان
mail-receipt-venue = { $venue }، { $address }
mail-receipt-line-item = { $quantity } × { $type } ({ $unit } للتذكرة)
mail-receipt-line-item-free = { $quantity } × { $type }
mail-receipt-total-label = المجموع
mail-receipt-payment-label = طريقة الدفع
mail-receipt-payment-free = لا يوجد دفع: التذاكر مجانية
mail-receipt-payment-card = بطاقة (عبر { $provider })
mail-receipt-payment-cliq = تحويل CliQ إلى { $alias } (الرقم المرجعي { $reference })
mail-receipt-tickets-heading = { $count ->
    [one] تذكرتك
    [two] تذكرتاك
   *[other] تذاكرك
}
mail-receipt-ticket = التذكرة { $number } من { $count }: { $type }
mail-receipt-ticket-text = التذكرة { $number } من { $count }: { $type } (رمز QR في المرفق { $file })
mail-receipt-qr-alt = رمز QR للتذكرة { $number }
mail-receipt-show-at-door = عند المدخل، اعرض رمز QR لكل تذكرة من هذه الرسالة أو من تطبيق حفلة.
mail-receipt-offline = تعمل تذاكرك في تطبيق حفلة حتى دون اتصال بالإنترنت، فلا تقلق إن كانت التغطية ضعيفة عند المدخل.
mail-receipt-tickets-link = يمكنك عرض تذاكرك في أي وقت من هنا: { $link }
mail-receipt-calendar = أرفقنا ملف { $file } لتضيف الفعالية إلى تقويمك.
mail-receipt-signoff =
    نتمنّى لك وقتاً ممتعاً!
    فريق حفلة
# وصف الفعالية في ملف التقويم.
mail-receipt-ics-description = الطلب { $reference }: { $count ->
    [one] تذكرة واحدة
    [two] تذكرتان
    [few] { $count } تذاكر
   *[other] { $count } تذكرة
}

# ملفات CSV للمنظمين: عناوين الأعمدة وقيم القوائم الثابتة.
csv-order-reference = الطلب
csv-order-created = تاريخ الإنشاء (بتوقيت عمّان)
csv-order-status = الحالة
csv-payment-method = طريقة الدفع
csv-tickets = التذاكر
csv-total = المجموع
csv-currency = العملة
csv-buyer-name = المشتري
csv-email = البريد الإلكتروني
csv-phone = الهاتف
csv-ticket-serial = رقم التذكرة
csv-ticket-type = نوع التذكرة
csv-holder-name = حامل التذكرة
csv-ticket-status = حالة التذكرة
csv-admitted = دخل
csv-scan-time = الوقت (بتوقيت عمّان)
csv-gate = البوابة
csv-direction = الاتجاه
csv-scan-result = النتيجة
csv-device = الجهاز
csv-yes = نعم
csv-no = لا
order-status-reserved = محجوز
order-status-awaiting_payment = بانتظار الدفع
order-status-paid = مدفوع
order-status-partly_refunded = مسترد جزئيًا
order-status-refunded = مسترد
order-status-cancelled = ملغى
order-status-expired = منتهي
payment-method-free = مجاني
payment-method-sandbox = تجريبي
payment-method-paytabs = بطاقة (PayTabs)
payment-method-cliq = تحويل كليك
payment-method-none = لم تُحدد
ticket-status-valid = صالحة
ticket-status-revoked = ملغاة
scan-direction-in = دخول
scan-direction-out = خروج
scan-effect-entered = دخل
scan-effect-exited = خرج
scan-effect-refused = مرفوض

## واجهة التطبيق (ui/src/App.tsx) والأجزاء المشتركة
common-loading = جارٍ التحميل…
common-retry = أعد المحاولة
common-back = رجوع
common-working = جارٍ التنفيذ…
shell-nav = التنقل الرئيسي
shell-offline = غير متصل
shell-pending = { $count ->
    [zero] لا تغييرات بانتظار الرفع
    [one] تغيير واحد بانتظار الرفع
    [two] تغييران بانتظار الرفع
    [few] { $count } تغييرات بانتظار الرفع
    [many] { $count } تغييراً بانتظار الرفع
   *[other] { $count } تغيير بانتظار الرفع
}
shell-sync-error = مشكلة في المزامنة
shell-version = حفلة { $version }
shell-catalog-downloading = جارٍ تنزيل دليل الفعاليات…
nav-discover = اكتشف
nav-tickets = تذاكري
nav-door = البوابة
nav-organizer = المنظِّم
nav-admin = الإدارة
nav-account = الحساب
nav-sign-in = تسجيل الدخول
role-owner = المالك
role-manager = مدير
role-door_staff = موظف بوابة
role-analyst = محلل
status-draft = مسودة
status-pending_review = بانتظار المراجعة
status-published = منشورة
status-rejected = مرفوضة
status-cancelled = ملغاة

## اكتشف (ui/src/screens/Discover.tsx)
discover-heading = اكتشف الفعاليات
discover-search-label = بحث
discover-search-placeholder = عود، حفلة، البترا…
discover-category = الفئة
discover-any-category = كل الفئات
discover-city = المدينة
discover-any-city = كل المدن
discover-near-me = بالقرب مني
discover-near-clear = أي مسافة
discover-locating = جارٍ تحديد موقعك…
discover-near-city = موقعك غير متاح: اختر مدينة
discover-choose-city = اختر مدينة
discover-sorted-near-you = مرتبة حسب المسافة منك
discover-sorted-near-city = مرتبة حسب المسافة من { $city }
discover-distance = على بعد { $km } كم
discover-loading = جارٍ البحث…
discover-no-match = لا توجد فعاليات تطابق بحثك.
discover-catalog-waiting = ما زال دليل الفعاليات قيد التنزيل. ستظهر الفعاليات هنا فور وصوله.

## صفحة الفعالية والشراء (ui/src/screens/Event.tsx)
event-when = الموعد
event-where = المكان
event-price = السعر
event-zone-note = (بتوقيت عمّان)
event-show-other-lang = اعرض بالإنجليزية
event-hide-other-lang = أخفِ النص الإنجليزي
event-open-maps = افتح في الخرائط
event-share = مشاركة
event-share-copied = نُسخ الرابط:
event-share-copy-failed = انسخ هذا الرابط:
event-buy-offline = أنت غير متصل. اتصل بالإنترنت لشراء التذاكر.
event-loading-tickets = جارٍ تحميل التذاكر…
buy-heading = التذاكر
buy-no-tickets = لا توجد تذاكر معروضة لهذه الفعالية.
buy-not-on-sale = غير معروضة للبيع الآن
buy-quantity = العدد
buy-chosen = { $count ->
    [zero] لا تذاكر: { $total }
    [one] تذكرة واحدة: { $total }
    [two] تذكرتان: { $total }
    [few] { $count } تذاكر: { $total }
    [many] { $count } تذكرةً: { $total }
   *[other] { $count } تذكرة: { $total }
}
buy-button = اشترِ
buy-sign-in = سجّل الدخول للشراء
buy-sign-in-first = سجّل الدخول لشراء التذاكر.
buy-reserving = جارٍ الحجز…
buy-order-heading = الطلب { $reference }
buy-line = { $quantity } × { $type } ({ $price } للواحدة)
buy-total = المجموع: { $total }
buy-held-until = تذاكرك محجوزة حتى { $time }.
buy-choose-method = كيف تريد الدفع؟
buy-method-sandbox = الدفع بالبطاقة (تجريبي)
buy-method-cliq = تحويل كليك (CliQ)
buy-pay = ادفع
buy-paying = جارٍ فتح صفحة الدفع…
buy-confirm-free = احصل على التذاكر

## الدفع (ui/src/screens/Payment.tsx)
pay-heading = الدفع
pay-reference = الطلب { $reference }
pay-waiting = بانتظار الدفع…
pay-waiting-browser = بانتظار الدفع… أكمل الدفع في نافذة المتصفح التي فُتحت.
pay-paid = تم الدفع! تذاكرك جاهزة.
pay-expired = انتهت مهلة الطلب قبل دفعه، وعادت التذاكر إلى البيع.
pay-not-paid = لم يُدفع الطلب: { $status }.
pay-back-to-event = العودة إلى الفعالية
pay-cliq-heading = الدفع بتحويل كليك
pay-cliq-intro = من تطبيق البنك، أرسل تحويل كليك بهذه التفاصيل:
pay-cliq-alias = إلى الاسم المستعار
pay-cliq-amount = المبلغ
pay-cliq-reference = الملاحظة (المرجع)
pay-cliq-pay-by = ادفع قبل
pay-cliq-confirmation = تصلك تذاكرك حين يؤكد المنظِّم استلام التحويل.

## تسجيل الدخول والحساب (ui/src/screens/Account.tsx)
signin-heading = سجّل الدخول إلى حفلة
signin-tab-email = البريد الإلكتروني
signin-tab-phone = الهاتف
signin-tab-oidc = حسابات أخرى
signin-email = البريد الإلكتروني
signin-password = كلمة المرور
signin-password-hint = ١٠ أحرف على الأقل.
signin-name = اسمك
signin-submit = تسجيل الدخول
signin-register = إنشاء حساب
signin-to-register = جديد هنا؟ أنشئ حساباً
signin-to-signin = لديك حساب؟ سجّل الدخول
signin-phone = رقم الهاتف المحمول
signin-phone-send = أرسل الرمز
signin-phone-resend = أرسل رمزاً جديداً
signin-phone-sent = أرسلنا رمزاً من ٦ أرقام إلى { $phone }.
signin-phone-code = الرمز المكوّن من ٦ أرقام
signin-phone-verify = تسجيل الدخول
signin-continue-with = المتابعة باستخدام { $provider }
signin-oidc-waiting = أكمل تسجيل الدخول في المتصفح، وستعود إلى هنا تلقائياً.
signin-oidc-none = لا يتيح هذا الخادم طريقة أخرى لتسجيل الدخول؛ استخدم بريدك الإلكتروني أو هاتفك.
provider-google = Google
provider-apple = Apple
account-email = البريد الإلكتروني
account-phone = الهاتف
account-platform = المنصة
account-is-admin = مسؤول
account-organizations = الجهات
account-no-organizations = لست عضواً في أي جهة.
account-sign-out = تسجيل الخروج
settings-heading = الإعدادات
settings-language = اللغة
settings-arabic-digits = الأرقام الهندية (٠١٢٣)
settings-arabic-digits-hint = اعرض الأرقام والأسعار والتواريخ بالأرقام الهندية في الواجهة العربية.

## تذاكري (ui/src/screens/Tickets.tsx)
tickets-heading = تذاكري
tickets-loading = جارٍ تحميل تذاكرك…
tickets-empty = لا توجد لديك تذاكر بعد.
tickets-sign-in = سجّل الدخول لرؤية تذاكرك.
tickets-brightness = عند المدخل، ارفع سطوع الشاشة ليُقرأ الرمز بسرعة.
tickets-count = { $count ->
    [zero] لا تذاكر
    [one] تذكرة واحدة
    [two] تذكرتان
    [few] { $count } تذاكر
    [many] { $count } تذكرةً
   *[other] { $count } تذكرة
}
tickets-qr-label = رمز QR للتذكرة { $serial }
tickets-no-qr = هذه التذكرة لم تعد صالحة للدخول.
tickets-serial = تذكرة رقم { $serial }
tickets-holder = حاملها: { $name }
tickets-rotating = يتغير الرمز كل بضع ثوانٍ: لقطات الشاشة لا تعمل.
tickets-add-calendar = أضف إلى التقويم
tickets-calendar-saved = حُفظ في:
tickets-transfer = تحويل
tickets-transfer-to = البريد الإلكتروني أو هاتف المستلم
tickets-transfer-hint = يحتاج المستلم إلى حساب في حفلة. تتوقف تذكرتك عن العمل بعد تحويلها.
tickets-transfer-confirm = حوّل التذكرة
tickets-transferred = حُوّلت التذكرة إلى { $recipient }.
orders-heading = طلباتي
orders-empty = لا توجد طلبات بعد.
orders-line = { $quantity } × { $type }
orders-refund-note = تُعاد المبالغ المستردة بطريقة الدفع نفسها.

## البوابة (ui/src/screens/Door.tsx)
door-heading = البوابة
door-sign-in = سجّل الدخول بحساب موظف بوابة لفحص التذاكر.
door-no-events = لست مكلّفاً ببوابة أي فعالية.
door-choose-event = اختر الفعالية
door-downloaded = على هذا الجهاز
door-download-list = نزّل قائمة البوابة
door-update-list = حدّث قائمة البوابة
door-progress-label = قائمة البوابة
door-progress = { $done } / { $total }
door-download-done = { $count ->
    [zero] قائمة البوابة جاهزة: لا تذاكر.
    [one] قائمة البوابة جاهزة: تذكرة واحدة.
    [two] قائمة البوابة جاهزة: تذكرتان.
    [few] قائمة البوابة جاهزة: { $count } تذاكر.
    [many] قائمة البوابة جاهزة: { $count } تذكرةً.
   *[other] قائمة البوابة جاهزة: { $count } تذكرة.
}
door-download-first = نزّل قائمة البوابة أولاً، فيعمل الفحص بعدها دون اتصال.
door-gate = البوابة
door-gate-default = البوابة الرئيسية
door-direction = الاتجاه
door-start = ابدأ الفحص
door-change = غيّر الفعالية أو البوابة
door-at-gate = البوابة: { $gate }
door-scan-label = امسح تذكرة (أو اكتب رمزها واضغط Enter)
door-scan-placeholder = HF:…
door-ready = جاهز: امسح تذكرة
door-signal-admit = ادخل
door-signal-refuse = توقّف
door-signal-attention = تحقّق
door-counts = الأعداد
door-admitted = دخلوا
door-remaining = لم يدخلوا بعد
door-tickets = التذاكر
door-pending = بانتظار الرفع
door-connection = الاتصال
door-online = متصل
door-per-gate = حسب البوابة
door-revoked-conflicts = ملغاة: { $revoked } · تعارضات: { $conflicts }
door-conflicts = التعارضات
door-no-conflicts = لا توجد تعارضات.
door-conflict-double_admission = أُدخلت التذكرة { $serial } مرتين
door-conflict-admitted_after_revocation = أُدخلت التذكرة { $serial } بعد إلغائها
door-conflict-where = عند { $gate }، { $time }
door-conflict-first = أول مرة عند { $gate }، { $time }
door-camera-start = استخدم الكاميرا
door-camera-stop = أوقف الكاميرا
door-camera-view = عرض الكاميرا
door-camera-failed = تعذّر تشغيل الكاميرا: { $reason }

## المنظِّم (ui/src/screens/Organizer.tsx و EventForm.tsx و Dashboard.tsx)
org-heading = المنظِّم
org-none = لا تدير أي جهة.
org-switch = الجهة
org-tab-events = الفعاليات
org-tab-staff = الفريق
org-tab-orders = الاسترداد وكليك
org-new-event = فعالية جديدة
org-no-events = لا توجد فعاليات بعد. أنشئ أولاها.
org-edit = تعديل
org-dashboard = لوحة المتابعة
org-submit = أرسل للمراجعة
org-rejected-because = رُفضت: { $reason }
org-staff-heading = فريق { $name }
org-member-name = الاسم
org-member-contact = البريد أو الهاتف
org-member-role = الدور
org-invite-heading = ادعُ شخصاً
org-invite = ادعُ
org-invited = أُضيف { $email }.
org-order-id = رقم الطلب
org-refund-heading = استرداد طلب
org-refund-reason = السبب
org-refund = استرداد
org-refund-done = استُرد الطلب وأُلغيت تذاكره.
org-cliq-heading = تحويلات كليك
org-cliq-hint = راجع حسابك البنكي: أكّد التحويل بعد وصوله وفي ملاحظته مرجع الطلب.
org-cliq-received = وصل التحويل
org-cliq-not-received = لم يصل
org-cliq-approved = تم التأكيد: صدرت تذاكر المشتري.
org-cliq-rejected = سُجّل أنه لم يصل.
form-new-heading = فعالية جديدة
form-edit-heading = تعديل الفعالية
form-about = عن الفعالية
form-title-ar = العنوان (بالعربية)
form-title-en = العنوان (بالإنجليزية)
form-description-ar = الوصف (بالعربية)
form-description-en = الوصف (بالإنجليزية)
form-tags = الوسوم (مفصولة بفواصل)
form-venue = المكان
form-venue-ar = اسم المكان (بالعربية)
form-venue-en = اسم المكان (بالإنجليزية)
form-address-ar = العنوان (بالعربية)
form-address-en = العنوان (بالإنجليزية)
form-lat = خط العرض
form-lng = خط الطول
form-when = التاريخ والوقت
form-start = تبدأ
form-end = تنتهي
form-amman-time = الأوقات بتوقيت عمّان.
form-ticket-types = أنواع التذاكر
form-tt-name-ar = الاسم (بالعربية)
form-tt-name-en = الاسم (بالإنجليزية)
form-tt-price = السعر (دينار)
form-tt-capacity = عدد التذاكر المعروضة
form-tt-add = أضف نوع تذكرة
form-tt-remove = احذف
form-save = احفظ
form-save-submit = احفظ وأرسل للمراجعة
form-close = إغلاق
form-saved = حُفظت.
form-submitted = أُرسلت للمراجعة. سترى هنا حين تتم الموافقة عليها.
form-location-invalid = اكتب خط العرض وخط الطول للمكان بالأرقام.
form-times-required = حدّد تاريخ ووقت البداية والنهاية.
form-price-invalid = نوع التذكرة { $row }: اكتب السعر بالدينار، مثل 12.500.
form-capacity-invalid = نوع التذكرة { $row }: يجب أن يكون عدد التذاكر عدداً صحيحاً.
dash-heading = لوحة المتابعة: { $title }
dash-bucket = التجميع
dash-by-day = حسب اليوم
dash-by-hour = حسب الساعة
dash-sold = المَبيع
dash-revenue = الإيرادات
dash-refunded = المُسترد
dash-net = الصافي
dash-capacity = السعة
dash-capacity-value = { $held } من { $capacity } محجوزة، وبقي { $left }
dash-held = المحجوز
dash-left = المتبقي
dash-sales-chart = التذاكر المبيعة
dash-checkins-chart = الدخول
dash-ticket-types = حسب نوع التذكرة
dash-gates = حسب البوابة
dash-scans = عمليات المسح
dash-no-scans = لا توجد عمليات مسح بعد.
dash-payments = حسب طريقة الدفع
dash-funnel = من زيارة الصفحة إلى الدفع
dash-funnel-views = زيارات الصفحة
dash-funnel-checkouts = طلبات بدأت
dash-funnel-paid = طلبات مدفوعة
dash-no-show = الغياب
dash-no-show-rate = { $rate }٪ ({ $count ->
    [zero] لا تذاكر من { $valid }
    [one] تذكرة واحدة من { $valid }
    [two] تذكرتان من { $valid }
    [few] { $count } تذاكر من { $valid }
    [many] { $count } تذكرةً من { $valid }
   *[other] { $count } تذكرة من { $valid }
})
dash-no-show-event_not_ended = تُعرف بعد انتهاء الفعالية
dash-no-show-no_tickets_sold = لم تُبع تذاكر
dash-admitted-of = دخل { $admitted } من { $valid }
dash-exports = تصدير (CSV)
dash-export-orders = الطلبات
dash-export-attendees = الحضور
dash-export-checkins = الدخول
dash-exported = حُفظ في:

## الإدارة (ui/src/screens/Admin.tsx)
admin-heading = فعاليات بانتظار المراجعة
admin-empty = لا شيء للمراجعة.
admin-count = { $count ->
    [zero] لا فعاليات بانتظار المراجعة
    [one] فعالية واحدة بانتظار المراجعة
    [two] فعاليتان بانتظار المراجعة
    [few] { $count } فعاليات بانتظار المراجعة
    [many] { $count } فعاليةً بانتظار المراجعة
   *[other] { $count } فعالية بانتظار المراجعة
}
admin-submitted = أُرسلت { $time }
admin-approve = وافق
admin-reject = ارفض
admin-reject-reason = سبب الرفض (يراه المنظِّم)
admin-approved = نُشرت «{ $title }».
admin-rejected = أُعيدت «{ $title }» إلى منظِّمها.
