## Bulgarian. Machine translation, to be reviewed by a native speaker: `meta-review = machine` marks it.
## metronode: every word people read on the dashboard, /artefacts and the dashboard's error
## page, in Bulgarian. Placeables { $x } are filled by the page; numbers arrive formatted
## for the language.

language-name = Български
choose-language = Език
title = Цифрово приобщаване в метрополния район
skip-to-content = Към данните

## The picker.
indicator = Показател
breakdown = Разбивка по
series = Серия
period = Период
show = Покажи
latest-comparable = последен сравним
period-partial = { $period } (частично: { $cities })
headline-series = основна

## Sections.
metro-value = Стойност за метрополния район
cities = Сравнение на градовете
gap = Разликата между групите
trend = Тенденция
coverage = Обхват
provenance = Произход: откъде идва всяко число
federation = Състояние на федерацията
no-data = Тук все още няма публикация на този показател.

## Values.
withheld = неоповестено
withheld-why = неоповестено ({ $why })
low-reliability = ниска надеждност
no-margin = извадковата грешка не е публикувана; не е добавен шум
interval = { $value } (95% интервал от { $low } до { $high })
interval-clipped = { $value } (95% интервал от { $low } до { $high }; ограничен до допустимия диапазон)
clipped = { $value } (ограничено до допустимия диапазон)
unit-percent = { $value }%
unit-per-100 = { $value } на 100
unit-per-10000 = { $value } на 10 000
percentage-points = { $value } процентни пункта
cities-included = { $count ->
    [one] { $count } включен град
   *[other] { $count } включени града
}
newer-partial = За { $period } засега има данни само от { $cities }, несравними с { $current }:
show-partial = покажи { $period } (частично)
by-dimension = { $indicator } по { $dimension }

## Tables.
col-city = град
col-value = стойност
col-cities-included = включени градове
col-withheld-in = неоповестено в
col-period = период
col-cities = градове
col-origin = произход
col-log-record = запис в журнала
col-record-hash = хеш на записа
col-signer = подписал
col-method = метод
col-member = член
col-reachable = достъпен
col-last-sync = последна синхронизация
col-records = записи
col-lag = изоставане
col-flags = флагове
log-record-help = Записът в журнала е един подписан запис в публичния журнал на даден град, в който записи само се добавят; номерът му е позицията му в журнала.

## The gap between groups.
no-gap-groups = Няма достатъчно публикувани групи за изчисляване на разлика.
tied = { $names } (равни)
list-and = { $first } и { $second }
gap-all-tied = Всичките { $count } са със стойност { $value }: няма разлика.
gap-indistinct = Най-висока: { $highest } ({ $high }); най-ниска: { $lowest } ({ $low }). Разликата от { $difference } е в рамките на пределната грешка при 95% (± { $margin }): не е различима при 95%, затова никоя група не е определена като най-добра или най-лоша.
gap-neutral = Най-висока: { $highest } ({ $high }); най-ниска: { $lowest } ({ $low }); разлика { $difference }. За този показател нито една посока не е по-добра, затова никоя група не е определена като най-добра или най-лоша.
gap-ranked = { $served ->
    [yes] Най-добре обслужени: { $best } ({ $bestvalue }); най-зле обслужени: { $worst } ({ $worstvalue }).
   *[no] Най-добра: { $best } ({ $bestvalue }); най-лоша: { $worst } ({ $worstvalue }).
} Разлика { $difference }; съотношението между най-ниската и най-високата стойност е { $ratio }.
gap-ranked-margin = { $served ->
    [yes] Най-добре обслужени: { $best } ({ $bestvalue }); най-зле обслужени: { $worst } ({ $worstvalue }).
   *[no] Най-добра: { $best } ({ $bestvalue }); най-лоша: { $worst } ({ $worstvalue }).
} Разлика { $difference }, извън пределната грешка при 95% (± { $margin }); съотношението между най-ниската и най-високата стойност е { $ratio }.

## Trend.
trend-open-points = Празните точки обхващат други градове освен тези за { $period }, затова не са свързани с линия: { $others }.

## Coverage.
included = Включени: { $cities }.
missing = Липсват: { $cities }.
none = няма
not-yet-published = { $city }: все още няма публикация за { $period } (последна: { $latest })
stale = { $city }: остарели данни, { $reason }
stale-since = { $city }: остарели данни, { $reason }, последна синхронизация преди { $seconds } сек.
flag-included = { $city }: данните са включени по настройка на този възел, въпреки че журналът на града съдържа доказателства за { $evidence }
flag-excluded = { $city }: данните са изключени от всички стойности: журналът на града съдържа доказателства за { $evidence }
suppressed-cells = Потиснати клетки в използваните публикации: { $count } (неоповестени, никога не се попълват).
post-processing = Показани стойности за публикации с добавен шум: съотношението на публикуваните суми, приведено в допустимия диапазон (от 0 до 100% за дял, неотрицателно за коефициент), като 95% интервал е ограничен по същия начин; това е последваща обработка на публикуваното, без допълнителна цена за поверителността. Числителите и знаменателите са показани както са публикувани.

## Federation health.
this-node = този възел
seconds-ago = преди { $seconds } сек.
never = никога
yes = да
no = не

## Footer.
footer-data = Данни: подписани публикации, проверени на този възел; всички журнали във форматите C2SP на адрес
footer-export = Експорт на показаното:
proof-bundle = пакет с доказателства
footer-verify = проверете го офлайн с
machine-translation = Този превод е машинен и все още не е прегледан.

## The error page.
not-answered = Без отговор
choose-indicator = Изберете показател
choose-breakdown = Изберете разбивка
choose-series = Изберете серия
choose-period = Изберете период
back = Обратно към таблото

## /artefacts.
artefacts-title = Документи на политиките
indicators-link = показатели
filter-city = Град
filter-type = Вид
filter-rights-area = Област на правата
filter-language = Език
all = всички
library = Библиотека
col-type = вид
col-title = заглавие
col-languages = езици
col-document-status = статус на документа
col-version = версия в журнала
col-verification = проверка
col-document = документ
signed-verified = подписано от { $city } (запис { $seq }), SHA-256 { $hash }… проверено
signed-not-fetched = подписано от { $city } (запис { $seq }); документът още не е изтеглен
download = изтегляне на { $type } ({ $bytes } байта)
policy-matrix = Матрица на политиките
matrix-note = Текущи версии (нито заменени, нито оттеглени) на всеки вид документ, по градове.
n-current = текущи: { $count }
state-current = текущ
state-superseded = заменен
state-withdrawn = оттеглен
type-digital_rights_charter = харта на цифровите права
type-policy = политика
type-algorithm_register_entry = запис в регистъра на алгоритмите
type-dpia = DPIA (оценка на въздействието върху защитата на данните)
type-procurement_clause_set = набор от клаузи за обществени поръчки
type-open_data_policy = политика за отворени данни
type-capacity_building_module = модул за изграждане на капацитет
rights-privacy_safety_security_protection = неприкосновеност на личния живот, безопасност, сигурност и защита
rights-public_engagement_participation = обществена ангажираност и участие
rights-public_goods_open_infrastructure = обществени блага и отворена инфраструктура
rights-inclusion_equality_equity = приобщаване, равенство и справедливост
rights-freedom_autonomy_control_self_determination = свобода, автономия, контрол и самоопределение
rights-transparency_accountability = прозрачност и отчетност
rights-diversity_of_experience = многообразие на опита
status-draft = проект
status-consultation = обществена консултация
status-adopted = приет
status-in_force = в сила
status-superseded = заменен
status-repealed = отменен
status-retired = извън употреба

## Карта по райони.
map = Карта по райони
map-none = Все още никой град не е публикувал границите на своите райони.
map-title = { $indicator } по райони
map-better = По-тъмните райони са по-добре обслужени; защрихованите не са публикувани.
map-higher = По-тъмните райони имат по-високи стойности; защрихованите не са публикувани.
map-withheld = непубликувано
map-no-data = няма данни
map-class = от { $low } до { $high }
map-unreadable = { $city }: публикуваните граници на районите не можаха да бъдат прочетени ({ $error }).
col-district = район
col-name = име
type-district_boundaries = граници на райони (GeoJSON)

## Вход.
sign-in = Вход
sign-in-heading = Токен на анализатор
sign-in-intro = Таблото и API на този възел са отворени за неговите анализатори. Поставете токена, който ви е дал отделът за данни на града; браузърът пази сесия { $hours } часа (или докато излезете), а самият токен не се съхранява.
token = Токен
signed-in-as = Влезли сте като { $name }.
continue = Продължете
sign-out = Изход
form-expired = Формулярът е изтекъл или е дошъл от друг сайт. Опитайте отново.
token-unknown = Този токен не е известен на този възел.
account = Влезли сте като { $name } · изход

## Column names of the plain CSV export with ?lang= (SDMX-CSV keeps its codes).
csv-indicator = показател
csv-period = период
csv-series = серия
csv-level = ниво
csv-code = код
csv-value = стойност
csv-unit = единица
csv-margin_of_error_95 = пределна грешка (95%)
csv-interval_low_95 = долна граница (95%)
csv-interval_high_95 = горна граница (95%)
csv-numerator = числител
csv-denominator = знаменател
csv-status = статус
csv-note = бележка
