export interface DecodedBlock {
  ts: Float64Array;
  /** One array per value column, each of ts.length values. */
  columns: Float64Array[];
}
