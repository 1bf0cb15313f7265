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
