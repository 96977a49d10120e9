fn main() {
    let mut running = linx::process::Command::new("/bin/true").start().unwrap();
    running.caps(&linx::caps::CapPlan::new()).unwrap();
}
