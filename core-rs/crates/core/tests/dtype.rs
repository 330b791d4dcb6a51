//! The runtime's element types agree with the wire enum they are numbered from.

use onnxrun_core::DataType;
use onnxrun_proto::tensor_proto::DataType as Wire;

#[test]
fn numbers_and_names_follow_the_wire_enum() {
    for d in DataType::ALL {
        let w = Wire::try_from(d as i32).unwrap_or_else(|_| panic!("{d:?} has no wire number"));
        assert_eq!(d.onnx_name(), w.as_str_name().to_lowercase(), "{d:?}");
        assert_eq!(DataType::from_i32(d as i32).unwrap(), d);
    }
    assert!(DataType::from_i32(Wire::Undefined as i32).is_err());
}
