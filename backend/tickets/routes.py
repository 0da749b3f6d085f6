from __future__ import annotations

from litestar import Controller, get, post, put
from litestar.di import Provide
from litestar.status_codes import HTTP_200_OK

from backend.edge.auth import provide_profile_id
from backend.ids import parse_id
from backend.settings import Settings
from backend.tickets import gate, service
from backend.tickets.scanners import Scanner, provide_scanner
from backend.tickets.schemas import (
    DeviceBody,
    DeviceCertificate,
    GateBundle,
    ScanOutcomes,
    ScanUpload,
    TicketList,
    VerifyBody,
    VerifyResult,
)

SCANNER = {"scanner": Provide(provide_scanner)}
SIGNED_IN = {"profile_id": Provide(provide_profile_id)}


class TicketsController(Controller):
    path = "/api/v1"
    tags = ["tickets"]

    @get("/profile/{profile_ref:str}/tickets", operation_id="listTickets", dependencies=SIGNED_IN)
    async def list_tickets(self, profile_ref: str, profile_id: int, settings: Settings) -> TicketList:
        """A profile's tickets; `me` stands for the caller. 403 for another profile's."""
        owner = service.resolve_profile(profile_ref, profile_id)
        return TicketList(items=await service.tickets_of_profile(settings.secret_key, owner))

    @post("/tickets/verify", status_code=HTTP_200_OK, operation_id="verifyTicket", dependencies=SCANNER)
    async def verify(self, data: VerifyBody, settings: Settings, scanner: Scanner) -> VerifyResult:
        """Gate scanners (bearer token or a scanner account): valid once, then already_scanned; a rotating code
        outside its time step is expired; forged, altered, revoked, another show's, unknown or refunded is invalid."""
        show_id = None if data.show_id is None else parse_id(data.show_id, "show")
        return await service.verify(settings.secret_key, data.code, show_id=show_id, gate=data.gate)

    @put("/tickets/{ticket_ref:str}/device", status_code=HTTP_200_OK, operation_id="bindTicketDevice",
         dependencies=SIGNED_IN)
    async def bind_device(self, ticket_ref: str, data: DeviceBody, profile_id: int,
                          settings: Settings) -> DeviceCertificate:
        """Certify this device's public key for the caller's ticket (its rotating code). The same key again gets the
        same certificate; a ticket on another device answers 409 `bound_to_other_device` unless `move` is true,
        which revokes the other device's codes and the static code."""
        return await gate.bind_device(settings.secret_key, profile_id, parse_id(ticket_ref, "ticket"), data.alg,
                                      data.public_key, data.move)

    @get("/shows/{show_id:str}/gate", operation_id="getGateBundle", dependencies=SCANNER)
    async def gate_bundle(self, show_id: str, settings: Settings, scanner: Scanner) -> GateBundle:
        """Scanners: the show's public keys and revocation list, to verify its codes offline."""
        return await gate.gate_bundle(settings.secret_key, parse_id(show_id, "show"))

    @post("/gate/scans", status_code=HTTP_200_OK, operation_id="uploadGateScans", dependencies=SCANNER)
    async def upload_scans(self, data: ScanUpload, settings: Settings, scanner: Scanner) -> ScanOutcomes:
        """Scanners: scans made offline, judged by the server in upload order; `duplicate` marks a ticket another
        gate (or an earlier scan) already let in."""
        return ScanOutcomes(items=await gate.upload_scans(settings.secret_key, scanner.profile_id, data))
