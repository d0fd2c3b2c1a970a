//! EC2 billing from the AWS API, for real against moto's EC2 server (an emulator from the
//! `moto[server]` Python package, started here on a free loopback port): instances run,
//! blocks are charged as short blocks elapse, a terminated instance stops costing.

mod util;

use std::net::TcpListener;
use std::time::Duration;

use scoreboard_aws::{AwsAccount, AwsInventory};
use scoreboard_domain::{Biller, BillingRules, GameTime};
use util::{base_config, start_moto};

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

async fn run_instances(ec2: &aws_sdk_ec2::Client, n: i32) -> Vec<String> {
    let out = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .instance_type(aws_sdk_ec2::types::InstanceType::T2Micro)
        .min_count(n)
        .max_count(n)
        .send()
        .await
        .expect("moto runs instances");
    out.instances()
        .iter()
        .map(|i| i.instance_id().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_are_charged_while_instances_run_and_stop_after_terminate() {
    let moto = start_moto();
    let base = base_config(&moto).await;
    let ec2 = aws_sdk_ec2::Client::new(&base);
    let game_start = now_ms();
    let ids = run_instances(&ec2, 2).await;
    let account = AwsAccount {
        team: "unicorns".into(),
        region: "us-east-1".into(),
        role_arn: Some("arn:aws:iam::123456789012:role/gameday-billing".into()),
        external_id: Some("game-42".into()),
        profile: None,
    };
    let inventory = AwsInventory::with_config(vec![account], &base).await;
    let rules = BillingRules {
        block: Duration::from_secs(2),
        ..BillingRules::default()
    };
    let mut biller = Biller::default();
    let observe = async |biller: &mut Biller| {
        let now = now_ms();
        let (obs, errors) = inventory.observe(GameTime(now - game_start), now).await;
        assert!(errors.is_empty(), "{errors:?}");
        let mut blocks = biller.observe(&rules, &obs);
        blocks.sort_by(|a, b| (&a.instance, a.block).cmp(&(&b.instance, b.block)));
        blocks
    };

    let first = observe(&mut biller).await;
    assert_eq!(first.len(), 2, "{first:?}");
    assert!(
        first
            .iter()
            .all(|b| b.block == 1 && b.team == "unicorns" && b.instance_type == "t2.micro")
    );
    assert!(
        observe(&mut biller).await.is_empty(),
        "nothing new within the same block"
    );

    tokio::time::sleep(Duration::from_millis(2200)).await;
    let second = observe(&mut biller).await;
    assert_eq!(
        second.iter().map(|b| b.block).collect::<Vec<_>>(),
        [2, 2],
        "{second:?}"
    );

    ec2.terminate_instances()
        .instance_ids(&ids[0])
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let third = observe(&mut biller).await;
    assert_eq!(
        third.len(),
        1,
        "only the running instance is charged: {third:?}"
    );
    assert_eq!(
        (third[0].instance.as_str(), third[0].block),
        (ids[1].as_str(), 3)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_poll_is_reported_not_charged() {
    let moto = start_moto();
    let mut base = base_config(&moto).await.to_builder();
    // Nothing listens here: every attempt fails.
    let dead = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    base.set_endpoint_url(Some(format!("http://{dead}")));
    let account = AwsAccount {
        team: "ghosts".into(),
        region: "us-east-1".into(),
        role_arn: None,
        external_id: None,
        profile: None,
    };
    let inventory = AwsInventory::with_config(vec![account], &base.build()).await;
    let (obs, errors) = inventory.observe(GameTime(1000), now_ms()).await;
    assert!(obs.runs.is_empty());
    assert_eq!(errors.len(), 1);
    let text = errors[0].to_string();
    assert!(
        text.contains("ghosts") && text.contains("after 3 attempts"),
        "{text}"
    );
}
