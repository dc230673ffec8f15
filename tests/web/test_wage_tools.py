"""The public wage calculators page: law_facts worked examples through the
page, Chinese messages for bad input, no login, CSRF on."""

import re
from datetime import date
from decimal import Decimal as D
from html import unescape

import pytest

from lms.domain.wages import (
    ProbationComparison,
    daily_and_hourly_wage,
    damage_deduction_limit,
    economic_compensation,
    employee_contributions,
    monthly_withholding,
    no_contract_double_wage,
    overtime_pay,
    probation_wage_floor,
    unlawful_termination_damages,
)
from lms.tools.explain import STEPS, explain_step
from lms.tools.wage_calculators import CALCULATORS

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def text_of(response) -> str:
    """The page as a reader sees it: tags dropped, entities decoded, spaces squeezed."""
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def result_of(response) -> str:
    page = text_of(response)
    assert "计算结果" in page, page[-3000:]
    return page[page.index("计算结果"):]


def test_calculators_need_no_login(client):
    page = text_of(client.get("/tools/wages"))
    for title in ("日工资与小时工资", "加班工资", "工资薪金个人所得税预扣", "社保和公积金个人缴纳",
                  "经济补偿（N）", "违法解除赔偿金（2N）", "试用期工资下限", "赔偿损失扣款上限",
                  "未签书面合同二倍工资"):
        assert title in page
    for slug in CALCULATORS:
        assert client.get(f"/tools/wages/{slug}").status_code == 200


def test_navbar_links_to_the_calculators_for_everyone(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'href="/tools/wages"' in html and "工资计算器" in html


def test_the_picker_works_without_javascript(client):
    response = client.get("/tools/wages?calculator=overtime")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/tools/wages/overtime")
    assert client.get("/tools/wages?calculator=nope").status_code == 200
    assert client.get("/tools/wages/nope").status_code == 404


def test_daily_hourly_law_facts_9_2(client):
    """law_facts §9.2 算例 1: 6,525 → 300 a day, 37.5 an hour."""
    result = result_of(client.post("/tools/wages/daily-hourly", data={"monthly_wage": "6525"}))
    assert "日工资 = 月工资 6,525.00 元 ÷ 21.75 天 = 300.00 元" in result
    assert "37.50 元" in result
    assert "劳社部发〔2008〕3号" in result


def test_overtime_law_facts_2_2(client):
    """law_facts §2.2 算例: 750 + 800 + 1,200 = 2,750; 26 hours within 36."""
    result = result_of(client.post("/tools/wages/overtime", data={
        "monthly_wage": "8,700", "workday_hours": "10", "rest_day_hours": "8",
        "holiday_hours": "8"}))
    assert "加班工资 2,750.00 元" in result
    assert "小时工资 = 月工资 8,700.00 元 ÷（21.75 天 × 8 小时）= 50.00 元" in result
    assert "工作日延时加班：50.00 元 × 150% × 10 小时 = 750.00 元" in result
    assert "法定节假日工作：50.00 元 × 300% × 8 小时 = 1,200.00 元" in result
    assert "本月加班共 26 小时，未超过每月 36 小时的上限" in result
    assert "《劳动法》第四十四条" in result


def test_overtime_rest_day_with_time_off(client):
    """law_facts §2.3 例题 2: time off in lieu, no 200 %."""
    result = result_of(client.post("/tools/wages/overtime", data={
        "monthly_wage": "8700", "rest_day_hours": "8", "rest_day_time_off": "y"}))
    assert "加班工资 0.00 元" in result
    assert "已安排同等时间补休" in result


def test_income_tax_law_facts_6_3(client):
    """law_facts §6.3 算例, month 3: 2,000 to withhold."""
    result = result_of(client.post("/tools/wages/income-tax", data={
        "month": "3", "cumulative_income": "90000", "cumulative_special_deductions": "9000",
        "cumulative_special_additional_deductions": "6000", "tax_withheld_before": "1480"}))
    assert "本月应预扣预缴税额 2,000.00 元" in result
    assert "60,000.00 元 × 10% − 2,520.00 元 = 3,480.00 元" in result
    assert "国家税务总局公告2018年第61号" in result


def test_contributions_law_facts_7_3_employee_at_the_floor(client):
    """law_facts §7.3 甲: base raised to 4,800; 504 + 400 = 904."""
    result = result_of(client.post("/tools/wages/contributions", data={
        "wage": "4000", "social_insurance_floor": "4800", "social_insurance_ceiling": "24000",
        "pension_rate": "8", "medical_rate": "2", "unemployment_rate": "0.5",
        "housing_fund_floor": "2500", "housing_fund_ceiling": "24000",
        "housing_fund_rate": "10"}))
    assert "个人缴纳合计 904.00 元" in result
    assert "基本养老保险：4,800.00 元 × 8% = 384.00 元" in result
    assert "失业保险：4,800.00 元 × 0.5% = 24.00 元" in result


def test_contributions_prefill_only_the_labelled_national_examples(client):
    html = client.get("/tools/wages/contributions").get_data(as_text=True)
    assert re.search(r'id="pension_rate"[^>]*value="8"', html)
    assert re.search(r'id="medical_rate"[^>]*value="2"', html)
    assert re.search(r'id="unemployment_rate"[^>]*value=""', html)
    assert "国发〔2005〕38号" in html


SERVICE_3A = {"service_years": "7", "extra_months": "4", "monthly_wage": "12000",
              "local_average_monthly_wage": "9000"}


def test_compensation_law_facts_3_a_with_notice_pay(client):
    """law_facts 算例 3-A: N = 7.5, 90,000; without notice 102,000."""
    result = result_of(client.post("/tools/wages/compensation",
                                   data={**SERVICE_3A, "notice_pay_wage": "12000"}))
    assert "经济补偿 90,000.00 元" in result
    assert "含代通知金合计 102,000.00 元" in result
    assert "N = 7.5 个月" in result
    assert "《劳动合同法》第四十七条" in result


def test_compensation_law_facts_3_c_both_caps(client):
    """law_facts 算例 3-C: 14 years 8 months at 30,000 → 12 × 27,000 = 324,000."""
    result = result_of(client.post("/tools/wages/compensation", data={
        **SERVICE_3A, "service_years": "14", "extra_months": "8", "monthly_wage": "30000"}))
    assert "经济补偿 324,000.00 元" in result
    assert "N = 15 个月，超过 12 个月，按 12 个月支付" in result


def test_unlawful_termination_law_facts_3_a(client):
    """law_facts 算例 3-A step 5: 2 × 90,000 = 180,000."""
    result = result_of(client.post("/tools/wages/unlawful-termination", data=SERVICE_3A))
    assert "赔偿金（2N） 180,000.00 元" in result
    assert "《劳动合同法》第八十七条" in result


def test_probation_law_facts_3_f(client):
    """law_facts 算例 3-F: max(4,800, 2,500) = 4,800."""
    result = result_of(client.post("/tools/wages/probation", data={
        "comparison": "agreed_wage", "comparison_wage": "6000", "local_minimum_wage": "2500"}))
    assert "试用期工资最低标准 4,800.00 元" in result
    assert "劳动合同约定工资 6,000.00 元 × 80% = 4,800.00 元" in result


def test_damage_deduction_law_facts_5_2_case_2(client):
    """law_facts §5.2 情形 2: 520 would leave less than 2,300, so only 300."""
    result = result_of(client.post("/tools/wages/damage-deduction", data={
        "monthly_wage": "2600", "local_minimum_wage": "2300"}))
    assert "本月最多可扣除 300.00 元" in result
    assert "《工资支付暂行规定》第十六条" in result


def test_double_wage_law_facts_3_d(client):
    """law_facts 算例 3-D: 2024-04-01 to 2024-08-31, 5 × 6,000 = 30,000."""
    result = result_of(client.post("/tools/wages/double-wage", data={
        "employment_start": "2024-03-01", "monthly_wage": "6000",
        "contract_signed": "2024-09-01"}))
    assert "应另付的一倍工资 30,000.00 元" in result
    assert "2024年4月1日至 2024年8月31日" in result


def test_bad_input_gets_a_chinese_message_and_keeps_what_was_typed(client):
    response = client.post("/tools/wages/overtime", data={
        "monthly_wage": "abc", "workday_hours": "-3"})
    page = text_of(response)
    html = response.get_data(as_text=True)
    assert "请输入数字，例如 8700 或 8700.50。" in page
    assert "小时数应在 0 到 744（一个月的总小时数）之间。" in page
    assert 'value="abc"' in html and 'value="-3"' in html
    assert "不能为负数" not in page  # "abc" gets one message, not a range one as well
    assert "计算结果" not in page


def test_missing_and_negative_amounts_are_explained(client):
    page = text_of(client.post("/tools/wages/damage-deduction", data={
        "monthly_wage": "", "local_minimum_wage": "-1"}))
    assert "请填写此项。" in page
    assert "不能为负数。" in page


def test_a_calculator_refusal_lands_on_its_field(client):
    """Rules the form cannot see (floor above ceiling) come back from the calculator."""
    response = client.post("/tools/wages/contributions", data={
        "wage": "4000", "social_insurance_floor": "30000", "social_insurance_ceiling": "24000",
        "pension_rate": "8", "medical_rate": "2", "unemployment_rate": "0.5",
        "housing_fund_floor": "2500", "housing_fund_ceiling": "24000",
        "housing_fund_rate": "10"})
    assert "下限不能高于上限。" in text_of(response)
    assert 'id="social_insurance_floor"' in response.get_data(as_text=True)
    assert re.search(r'class="form-control is-invalid"[^>]*id="social_insurance_floor"',
                     response.get_data(as_text=True))


def test_a_year_far_away_is_refused_not_crashed(client):
    page = text_of(client.post("/tools/wages/double-wage", data={
        "employment_start": "9999-06-01", "monthly_wage": "6000", "as_of": "9999-12-01"}))
    assert "请输入 1950-01-01 到 2099-12-31 之间的数值。" in page


def test_double_wage_needs_a_date_to_count_to(client):
    page = text_of(client.post("/tools/wages/double-wage", data={
        "employment_start": "2024-03-01", "monthly_wage": "6000"}))
    assert "尚未签订书面合同的，请填写此日期。" in page


def test_full_width_digits_and_separators_are_accepted(client):
    result = result_of(client.post("/tools/wages/daily-hourly",
                                   data={"monthly_wage": "８，７００元"}))
    assert "50.00 元" in result


def test_english_interface(client):
    client.post("/language", data={"locale": "en"})
    page = text_of(client.post("/tools/wages/overtime", data={
        "monthly_wage": "8700", "workday_hours": "10"}))
    assert "Overtime on working days: 50.00 yuan × 150% × 10 hours = 750.00 yuan" in page
    assert "Labour Law, Art. 44" in page


def test_csrf_stays_on(make_app):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    page = text_of(client.post("/tools/wages/daily-hourly", data={"monthly_wage": "6525"}))
    assert "计算结果" not in page
    assert "表单已过期" in page


def test_posts_are_rate_limited(make_app):
    client = make_app(RATELIMIT_ENABLED=True).test_client()
    statuses = {client.post("/tools/wages/daily-hourly", data={"monthly_wage": "1"}).status_code
                for _ in range(61)}
    assert statuses == {200, 429}
    assert client.get("/tools/wages/daily-hourly").status_code == 200


def _every_kind_of_step():
    """Inputs that between them take every branch of every calculator."""
    yield daily_and_hourly_wage(D(5000))
    yield overtime_pay(D(8700), workday_hours=D(30), rest_day_hours=D(8), holiday_hours=D(1))
    yield overtime_pay(D(8700), rest_day_hours=D(8), rest_day_time_off=True)
    yield monthly_withholding(month=3, cumulative_income=D(90_000), cumulative_tax_relief=D(1),
                              tax_withheld_before=D(99_999))
    yield monthly_withholding(month=1, cumulative_income=D(1))
    yield employee_contributions(
        wage=D(1), social_insurance_floor=D(0), social_insurance_ceiling=D(1),
        pension_rate=D("0.08"), medical_rate=D("0.02"), unemployment_rate=D(0),
        housing_fund_floor=D(0), housing_fund_ceiling=D(1), housing_fund_rate=D("0.05"))
    for years, months, wage in ((14, 8, 30_000), (3, 0, 1_000), (3, 1, 12_000)):
        yield economic_compensation(service_years=years, extra_months=months,
                                    monthly_wage=D(wage), local_average_monthly_wage=D(9_000),
                                    local_minimum_wage=D(2_000), notice_pay_wage=D(1))
    yield unlawful_termination_damages(service_years=1, extra_months=0, monthly_wage=D(1),
                                       local_average_monthly_wage=D(1))
    for comparison, paid in zip(ProbationComparison, (D(1), D(10_000)), strict=True):
        yield probation_wage_floor(comparison_wage=D(6_000), local_minimum_wage=D(2_500),
                                   comparison=comparison, probation_wage=paid)
    yield damage_deduction_limit(monthly_wage=D(5_000), local_minimum_wage=D(2_300), loss=D(1))
    yield damage_deduction_limit(monthly_wage=D(2_000), local_minimum_wage=D(2_300), loss=D(1))
    start = date(2024, 3, 1)
    yield no_contract_double_wage(employment_start=start, monthly_wage=D(1),
                                  contract_signed=date(2024, 5, 10))
    yield no_contract_double_wage(employment_start=start, monthly_wage=D(1),
                                  contract_signed=date(2024, 3, 5))
    yield no_contract_double_wage(employment_start=start, monthly_wage=D(1),
                                  as_of=date(2024, 6, 1))
    yield no_contract_double_wage(employment_start=start, monthly_wage=D(1),
                                  as_of=date(2026, 1, 1))


def test_every_step_code_has_a_message_using_only_its_figures(app):
    steps = [step for result in _every_kind_of_step() for step in result.steps]
    assert {step.code for step in steps} == set(STEPS)
    for step in steps:
        assert set(PLACEHOLDER.findall(str(STEPS[step.code]))) <= set(step.params), step.code
        explained = explain_step(step)
        assert "%(" not in explained.text


@pytest.mark.parametrize("slug", sorted(CALCULATORS))
def test_each_calculator_names_its_legal_basis(client, slug):
    assert "法律依据：" in text_of(client.get(f"/tools/wages/{slug}"))


def test_a_rate_that_does_not_divide_evenly_is_marked_as_rounded(client):
    result = result_of(client.post("/tools/wages/overtime", data={
        "monthly_wage": "5000", "workday_hours": "10"}))
    assert "小时工资 = 月工资 5,000.00 元 ÷（21.75 天 × 8 小时）≈ 28.74 元" in result
    assert "工作日延时加班：≈28.74 元 × 150% × 10 小时 = 431.03 元" in result
