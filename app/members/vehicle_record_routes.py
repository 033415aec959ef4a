"""Routes of the counter's record of a car: read it, edit it, correct its mileage, move it to a new owner."""

from flask.views import MethodView
from flask_smorest import Blueprint

from app.common.auth import counter_staff, current_actor
from app.common.transaction import unit_of_work
from app.members import vehicle_records
from app.members.vehicle_record_schemas import (
    MileageCorrection,
    VehicleRecordRead,
    VehicleRecordUpdate,
    VehicleTransfer,
)

blp = Blueprint("vehicle-records", __name__, description="The counter's record of a car")


@blp.route("/vehicles/<int:vehicle_id>")
class VehicleRecord(MethodView):
    @counter_staff
    @blp.response(200, VehicleRecordRead)
    def get(self, vehicle_id):
        """A car with its counter record (any car of the chain)"""
        return vehicle_records.get_vehicle(vehicle_id=vehicle_id)

    @counter_staff
    @unit_of_work()
    @blp.arguments(VehicleRecordUpdate)
    @blp.response(200, VehicleRecordRead)
    def patch(self, changes, vehicle_id):
        """Record a car's model, VIN (check digit verified), purchase and registration dates, insurance expiry, note"""
        return vehicle_records.update_vehicle_record(vehicle_id=vehicle_id, changes=changes)


@blp.route("/vehicles/<int:vehicle_id>/mileage-corrections", methods=["POST"])
@counter_staff
@unit_of_work()
@blp.arguments(MileageCorrection)
@blp.response(200, VehicleRecordRead)
def correct_mileage(body, vehicle_id):
    """Correct a car's mileage, also below the last reading, with a reason (audited)"""
    return vehicle_records.correct_mileage(actor=current_actor(), vehicle_id=vehicle_id, **body)


@blp.route("/vehicles/<int:vehicle_id>/transfer", methods=["POST"])
@counter_staff
@unit_of_work()
@blp.arguments(VehicleTransfer)
@blp.response(200, VehicleRecordRead)
def transfer_vehicle(body, vehicle_id):
    """Move a sold car to another member; its history stays with the car (audited)"""
    return vehicle_records.transfer_vehicle(actor=current_actor(), vehicle_id=vehicle_id, **body)
