"""Government-services tools (政务服务): find the right service for a life event, check
eligibility, find offices and free slots, book appointments and submit applications.

Every tool talks HTTP to the gov service (the embedded sandbox by default, or the URL in
``ERRAND_GOV_URL`` / ``ERRAND_SANDBOX_URL``) and returns the service's JSON. Personal data
the service needs (name, national ID, phone, address) is always an explicit argument, so an
approver sees exactly what is released; the effect metadata tells the policy gate how
consequential each call is.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from langchain_core.tools import BaseTool
from pydantic import Field

from tools.model import errand_tool
from tools.services import Services

DOMAIN = "gov"

ServiceId = Annotated[str, Field(pattern=r"^[Gg][Ss]-\d{4}$",
                                 description="Service id from the catalogue, e.g. 'GS-0031'.")]
NationalId = Annotated[str, Field(pattern=r"^\d{17}[\dXx]$",
                                  description="The applicant's 18-character national ID number.")]
City = Annotated[str, Field(min_length=1, description="City in English or Chinese, e.g. 'Beijing' or '北京'.")]
OptionalCity = Annotated[str | None, Field(description="City in English or Chinese, e.g. 'Beijing'.")]
Phone = Annotated[str, Field(pattern=r"^\+?\d[\d -]{6,}$", description="The applicant's contact phone number.")]
PersonName = Annotated[str, Field(min_length=1, max_length=80,
                                  description="The applicant's full name as registered (Chinese or pinyin).")]
Reason = Annotated[str | None, Field(max_length=500, description="Optional reason, in plain words.")]


def tools(services: Services | None = None) -> list[BaseTool]:
    """The gov tool pack, bound to ``services`` (default: configured from the environment)."""
    client = (services or Services.from_env()).client(DOMAIN)

    @errand_tool(effect="read", domain=DOMAIN, summary="Look up government life events (一件事)")
    def gov_list_life_events(
        query: Annotated[str | None, Field(description="Words in English or Chinese, e.g. 'baby' or '结婚'.")] = None,
    ) -> dict[str, Any]:
        """List life events (一件事一次办 bundles) such as having a baby, moving city, starting a business,
        getting married, retiring, losing an ID card, renewing a passport, buying a car, a death in the
        family, graduating or buying a home. With ``query``, only matching events, best first. Each event
        has an id and the ids of its services; use it to find every service a situation needs."""
        return client.get("/life-events", q=query)

    @errand_tool(effect="read", domain=DOMAIN, summary="Search the government service catalogue")
    def gov_search_services(
        query: Annotated[str | None, Field(description="Words in English or Chinese, e.g. 'passport renewal'.")] = None,
        life_event: Annotated[str | None, Field(description="Life event id, e.g. 'having-a-baby'.")] = None,
        city: OptionalCity = None,
        department: Annotated[str | None, Field(description="Department id or name, e.g. 'exit_entry'.")] = None,
        limit: Annotated[int, Field(ge=1, le=100, description="Maximum results.")] = 10,
    ) -> dict[str, Any]:
        """Search government services by words, life event, city and department. Returns
        ``{"count", "services": [...]}`` best match first; each service has its id, Chinese and English
        names, department, fee (CNY), processing days and whether it can be done online or needs an
        appointment. Use gov_get_service for the rules, documents and offices of one service."""
        return client.get("/services", q=query, life_event=life_event, city=city, department=department,
                          limit=limit)

    @errand_tool(effect="read", domain=DOMAIN, summary="Read the details of service {service_id}")
    def gov_get_service(service_id: ServiceId, city: OptionalCity = None) -> dict[str, Any]:
        """Get one service's full record: description, eligibility rules in plain language, required
        documents, fee and fee note, processing days, how to apply (online or in person), and the offices
        that handle it in each city (only ``city`` when given)."""
        return client.get(f"/services/{service_id}", city=city)

    @errand_tool(effect="read", domain=DOMAIN, summary="List the documents needed for service {service_id}")
    def gov_list_required_documents(service_id: ServiceId) -> dict[str, Any]:
        """List the documents a service requires: document codes (use these codes when submitting an
        application) with Chinese and English names and what exactly is accepted."""
        return client.get(f"/services/{service_id}/documents")

    @errand_tool(effect="read", domain=DOMAIN, personal_data=["national_id"],
                 summary="Check whether the holder of national ID {national_id} is eligible for {service_id}")
    def gov_check_eligibility(
        service_id: ServiceId,
        national_id: NationalId,
        city: OptionalCity = None,
        documents: Annotated[list[str] | None, Field(
            description="Document codes the applicant has ready; the answer then lists missing ones.")] = None,
    ) -> dict[str, Any]:
        """Check a person against a service's eligibility rules using the population registry. Returns
        ``eligible`` (true/false), ``reasons`` (every rule, passed or failed, in plain language), the
        required documents, fee and, when ``documents`` is given, ``missing_documents``. Nothing is
        stored. ``city`` defaults to where the person lives."""
        body: dict[str, Any] = {"citizen_id": national_id, "city": city}
        if documents is not None:
            body["documents"] = documents
        return client.request("POST", f"/services/{service_id}/eligibility", json=body)

    @errand_tool(effect="read", domain=DOMAIN, summary="Find government offices in {city}")
    def gov_find_offices(
        city: City,
        service_id: Annotated[str | None, Field(pattern=r"^[Gg][Ss]-\d{4}$",
                                                description="Only offices that handle this service.")] = None,
    ) -> dict[str, Any]:
        """Find offices in a city (government service centres, police household-registration halls,
        exit-entry halls, marriage registries, social insurance centres, market regulation, vehicle
        administration, tax and housing fund offices), optionally only those that handle a service.
        Each office has its id, name, address, phone, opening hours and a notice."""
        return client.get("/offices", city=city, service_id=service_id)

    @errand_tool(effect="read", domain=DOMAIN, summary="List free appointment slots at office {office_id}")
    def gov_list_appointment_slots(
        office_id: Annotated[str, Field(min_length=1, description="Office id, e.g. 'BJ-EXIT-01'.")],
        service_id: Annotated[str | None, Field(pattern=r"^[Gg][Ss]-\d{4}$",
                                                description="Check that the office handles this service.")] = None,
        date_from: Annotated[date | None, Field(description="First date (YYYY-MM-DD); default tomorrow.")] = None,
        date_to: Annotated[date | None, Field(description="Last date (YYYY-MM-DD); default two weeks on.")] = None,
    ) -> dict[str, Any]:
        """List bookable appointment slots at an office (working days, from tomorrow up to 60 days ahead,
        every 30 minutes 09:00-11:30 and 13:30-16:30). Returns only slots with places left, each with a
        ``slot_id`` to pass to gov_book_appointment and the ``remaining`` places."""
        return client.get(f"/offices/{office_id}/slots", service_id=service_id,
                          date_from=date_from.isoformat() if date_from else None,
                          date_to=date_to.isoformat() if date_to else None)

    @errand_tool(effect="write", domain=DOMAIN, personal_data=["name", "national_id", "phone"],
                 summary="Book an appointment at office {office_id} for service {service_id} at {slot}, "
                         "for {name} (national ID {national_id}, phone {phone})")
    def gov_book_appointment(
        service_id: ServiceId,
        office_id: Annotated[str, Field(min_length=1, description="Office id, e.g. 'BJ-EXIT-01'.")],
        slot: Annotated[str, Field(min_length=1, description="A slot_id from gov_list_appointment_slots, or an "
                                                             "ISO date-time such as '2026-12-03T09:30'.")],
        national_id: NationalId,
        name: PersonName,
        phone: Phone,
    ) -> dict[str, Any]:
        """Book an in-person appointment at a government office. Releases the person's name, national ID
        and phone to the office. Returns the appointment (id, status 'booked', date, time, office address
        and the documents to bring). Fails if the slot is full, in the past, on a weekend, or if the
        office does not handle the service. Can be cancelled with gov_cancel_appointment."""
        return client.post("/appointments", json={"service_id": service_id, "office_id": office_id, "slot": slot,
                                                  "citizen_id": national_id, "name": name, "phone": phone})

    @errand_tool(effect="write", domain=DOMAIN, summary="Cancel appointment {appointment_id}")
    def gov_cancel_appointment(
        appointment_id: Annotated[str, Field(min_length=1, description="Appointment id, e.g. 'APT-000001'.")],
        reason: Reason = None,
    ) -> dict[str, Any]:
        """Cancel a booked appointment, freeing the slot. Returns the appointment with status 'cancelled'.
        Fails if it was already cancelled or has already taken place."""
        return client.post(f"/appointments/{appointment_id}/cancel", json={"reason": reason})

    @errand_tool(effect="read", domain=DOMAIN, personal_data=["national_id"],
                 summary="List the appointments of national ID {national_id}")
    def gov_list_appointments(national_id: NationalId) -> dict[str, Any]:
        """List a person's appointments (booked, cancelled and completed) with dates, offices and ids."""
        return client.get("/appointments", citizen_id=national_id)

    @errand_tool(effect="irreversible", domain=DOMAIN, money="max_fee",
                 personal_data=["name", "national_id", "phone", "address"],
                 summary="Submit an application for service {service_id} in {city} as {name} (national ID "
                         "{national_id}, phone {phone}, address {address}) with documents {documents}, "
                         "paying a fee of at most {max_fee} CNY; a submitted application cannot be undone")
    def gov_submit_application(
        service_id: ServiceId,
        city: City,
        national_id: NationalId,
        name: PersonName,
        phone: Phone,
        address: Annotated[str, Field(min_length=4, max_length=300,
                                      description="Postal address for letters and the result.")],
        documents: Annotated[list[str], Field(description="Codes of the documents provided, e.g. ['id_card', "
                                                          "'household_register'] (see gov_list_required_documents).")],
        max_fee: Annotated[Decimal, Field(ge=0, description="Highest fee in CNY the person agreed to pay; the "
                                                            "service refuses if the fee is higher.")],
    ) -> dict[str, Any]:
        """Submit an online application to a government department. This is an official filing in the
        person's name and cannot be undone (only withdrawn while in progress). Returns the application
        with its reference number and status 'submitted'. Refused when documents are missing or unknown,
        the person is not eligible (with reasons), the service is in-person only, the fee exceeds
        ``max_fee``, or the same application is already in progress."""
        return client.post("/applications", json={
            "service_id": service_id, "citizen_id": national_id, "name": name, "phone": phone, "address": address,
            "documents": documents, "city": city, "max_fee": str(max_fee)})

    @errand_tool(effect="read", domain=DOMAIN, summary="Check the status of application {application_id}")
    def gov_get_application_status(
        application_id: Annotated[str, Field(min_length=1, description="Application id ('APP-000002') or "
                                                                       "reference number.")],
    ) -> dict[str, Any]:
        """Get an application's current status (submitted, accepted, in_review, needs_documents, approved,
        rejected or withdrawn), its dated history with officers' notes, the expected decision date and
        the next step."""
        return client.get(f"/applications/{application_id}")

    @errand_tool(effect="read", domain=DOMAIN, personal_data=["national_id"],
                 summary="List the applications of national ID {national_id}")
    def gov_list_applications(national_id: NationalId) -> dict[str, Any]:
        """List a person's applications, newest first, each with reference number, service and status."""
        return client.get("/applications", citizen_id=national_id)

    @errand_tool(effect="write", domain=DOMAIN, summary="Withdraw application {application_id}")
    def gov_withdraw_application(
        application_id: Annotated[str, Field(min_length=1, description="Application id or reference number.")],
        reason: Reason = None,
    ) -> dict[str, Any]:
        """Withdraw an application that is still in progress (submitted, accepted, in review or waiting
        for documents). Returns the application with status 'withdrawn'. Fails once it is decided."""
        return client.post(f"/applications/{application_id}/withdraw", json={"reason": reason})

    return [gov_list_life_events, gov_search_services, gov_get_service, gov_list_required_documents,
            gov_check_eligibility, gov_find_offices, gov_list_appointment_slots, gov_book_appointment,
            gov_cancel_appointment, gov_list_appointments, gov_submit_application, gov_get_application_status,
            gov_list_applications, gov_withdraw_application]
